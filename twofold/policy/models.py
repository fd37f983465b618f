from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _


class MfaRequirement(models.TextChoices):
    EVERYONE = "everyone", _("Every user")
    GROUPS = "groups", _("Members of the chosen groups")
    PER_USER = "per_user", _("Only users whose own state is Enabled or Enforced")


class AuthenticationPolicy(models.Model):
    """The organisation's one policy for two-step verification, registration and reset."""

    mfa_requirement = models.CharField(
        _("two-step verification is required for"),
        max_length=16,
        choices=MfaRequirement.choices,
        default=MfaRequirement.EVERYONE,
    )
    mfa_groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="+",
        verbose_name=_("groups that need two-step verification"),
    )
    registration_required = models.BooleanField(
        _("require registration at sign-in"),
        default=True,
        help_text=_("Users who lack the security info policy asks for must register it."),
    )
    postpone_days = models.PositiveSmallIntegerField(
        _("days users may postpone registration"),
        default=0,
        validators=[MaxValueValidator(14)],
        help_text=_("0 means registration can't be skipped."),
    )
    reconfirm_days = models.PositiveSmallIntegerField(
        _("days before users reconfirm their security info"),
        default=180,
        validators=[MaxValueValidator(730)],
        help_text=_("0 means never."),
    )
    remember_browser_days = models.PositiveSmallIntegerField(
        _("days a browser may skip two-step verification"),
        default=0,
        validators=[MaxValueValidator(365)],
        help_text=_("Offers “Don't ask again” at sign-in. 0 turns it off."),
    )
    sspr_enabled = models.BooleanField(_("self-service password reset"), default=True)
    sspr_methods_required = models.PositiveSmallIntegerField(
        _("methods needed to reset a password"),
        default=1,
        choices=[(1, "1"), (2, "2")],
    )
    questions_to_register = models.PositiveSmallIntegerField(
        _("security questions to register"),
        default=3,
        validators=[MinValueValidator(3), MaxValueValidator(5)],
    )
    questions_to_ask = models.PositiveSmallIntegerField(
        _("security questions asked at reset"),
        default=3,
        validators=[MinValueValidator(3), MaxValueValidator(5)],
    )
    app_passwords_allowed = models.BooleanField(
        _("users may create app passwords"),
        default=True,
        help_text=_(
            "For apps that can't do two-step sign-in; they never work on the sign-in page."
        ),
    )
    app_passwords_in_wizard = models.BooleanField(
        _("ask for an app password in the registration wizard"), default=False
    )
    sspr_unlocks_account = models.BooleanField(
        _("a password reset also ends a sign-in lockout"), default=True
    )

    class Meta:
        verbose_name = _("authentication policy")
        verbose_name_plural = _("authentication policy")

    def __str__(self) -> str:
        return str(_("Authentication policy"))

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.pk = 1  # there is exactly one
        super().save(*args, **kwargs)

    def clean(self) -> None:
        if self.questions_to_ask > self.questions_to_register:
            raise ValidationError(
                {"questions_to_ask": _("Ask at most as many questions as users register.")}
            )


class MethodPolicy(models.Model):
    """Whether one kind of method is offered, and to whom."""

    method_key = models.CharField(_("method"), max_length=32, unique=True)
    enabled = models.BooleanField(_("enabled"), default=True)
    groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="+",
        verbose_name=_("only for these groups"),
        help_text=_("Leave empty to offer the method to every user."),
    )
    # Settings only one kind of method understands (allowed security key models,
    # countries a text may go to...); each method documents and checks its own keys.
    options = models.JSONField(_("method options"), default=dict, blank=True)

    class Meta:
        verbose_name = _("method policy")
        verbose_name_plural = _("method policies")
        ordering = ["method_key"]

    def __str__(self) -> str:
        return self.method_key


class MfaState(models.TextChoices):
    DISABLED = "disabled", _("Disabled")
    ENABLED = "enabled", _("Enabled")
    ENFORCED = "enforced", _("Enforced")


class UserSecurityState(models.Model):
    """Per-user policy state: MFA state, postponed registration, last reconfirmation."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_state"
    )
    mfa_state = models.CharField(
        _("per-user two-step verification"),
        max_length=16,
        choices=MfaState.choices,
        default=MfaState.DISABLED,
        help_text=_(
            "Enabled: asked to register at next sign-in. Enforced: registered and required."
        ),
    )
    registration_postponed_until = models.DateTimeField(null=True, blank=True)
    postponed_since = models.DateTimeField(null=True, blank=True)
    info_confirmed_at = models.DateTimeField(
        _("security info last confirmed"), null=True, blank=True
    )

    class Meta:
        verbose_name = _("security state")
        verbose_name_plural = _("security states")

    def __str__(self) -> str:
        return f"{self.user} {self.mfa_state}"

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from twofold.methods import encryption


class RegisteredMethod(models.Model):
    """One piece of a user's security info: the one table for every kind of method."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="security_methods"
    )
    kind = models.CharField(_("method"), max_length=32, db_index=True)
    label = models.CharField(_("name"), max_length=100, blank=True)
    encrypted_data = models.TextField(editable=False)
    # Monotonic per-method counter: the last accepted time step (TOTP), sign count (FIDO2).
    counter = models.BigIntegerField(default=0, editable=False)
    # Real indexed column for whatever a method is found by (e.g. a WebAuthn credential id).
    lookup_key = models.CharField(max_length=255, blank=True, default="", db_index=True)
    is_default = models.BooleanField(_("default sign-in method"), default=False)
    created_at = models.DateTimeField(_("added"), auto_now_add=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("registered method")
        verbose_name_plural = _("registered methods")
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["user"], condition=Q(is_default=True), name="one_default_method_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} {self.kind} {self.label}".strip()

    @property
    def data(self) -> dict[str, Any]:
        return encryption.decrypt_json(self.encrypted_data)

    @data.setter
    def data(self, value: dict[str, Any]) -> None:
        self.encrypted_data = encryption.encrypt_json(value)


class CustomSecurityQuestion(models.Model):
    """A security question the organisation adds to the built-in list."""

    text = models.CharField(_("question"), max_length=200, unique=True)
    active = models.BooleanField(_("offered"), default=True)

    class Meta:
        verbose_name = _("security question")
        verbose_name_plural = _("security questions")
        ordering = ["text"]

    def __str__(self) -> str:
        return self.text

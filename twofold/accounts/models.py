from __future__ import annotations

from collections.abc import Iterator
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.contrib.sessions.base_session import AbstractBaseSession
from django.db import models
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from twofold.accounts.principal_names import (
    MAX_LENGTH,
    normalise_principal_name,
    validate_principal_name,
)


class AccountManager(UserManager["User"]):
    @classmethod
    def normalize_username(cls, username: str) -> str:
        return normalise_principal_name(username)

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(username=normalise_principal_name(username or ""))


_DJANGO_AUTH_HASH_SALT = "django.contrib.auth.models.AbstractBaseUser.get_session_auth_hash"
_AUTH_HASH_SALT = "twofold.accounts.User.get_session_auth_hash"


class User(AbstractUser):
    """An organisation's work account; ``username`` holds the user principal name."""

    username = models.CharField(
        _("sign-in name"),
        max_length=MAX_LENGTH,
        unique=True,
        validators=[validate_principal_name],
        help_text=_("The sign-in name, for example adele@contoso.example."),
        error_messages={"unique": _("An account with this name already exists.")},
    )
    display_name = models.CharField(_("display name"), max_length=256, blank=True)
    mobile_phone = models.CharField(
        _("mobile phone"), max_length=32, blank=True, help_text=_("From the directory, E.164.")
    )
    office_phone = models.CharField(
        _("office phone"), max_length=32, blank=True, help_text=_("From the directory, E.164.")
    )
    office_phone_extension = models.CharField(
        _("office phone extension"), max_length=10, blank=True
    )
    password_changed_at = models.DateTimeField(_("password changed"), null=True, blank=True)
    # Raised when every session is ended: sessions signed with an older value are refused,
    # even a copy a cache outage kept from being deleted.
    session_generation = models.PositiveIntegerField(default=0, editable=False)

    objects: ClassVar[AccountManager] = AccountManager()  # type: ignore[assignment]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]

    def clean(self) -> None:
        super().clean()
        self.username = normalise_principal_name(self.username)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.username = normalise_principal_name(self.username)
        super().save(*args, **kwargs)

    def __str__(self) -> str:
        return self.username

    # Django checks this HMAC on every request: a new password or a new session generation
    # ends every session made before. At generation 0 it is Django's own value.
    def get_session_auth_hash(self) -> str:
        return self._session_auth_hash(None)

    def get_session_auth_fallback_hash(self) -> Iterator[str]:
        for secret in settings.SECRET_KEY_FALLBACKS:
            yield self._session_auth_hash(secret)

    def _session_auth_hash(self, secret: str | bytes | None) -> str:
        if not self.session_generation:
            salt, value = _DJANGO_AUTH_HASH_SALT, self.password
        else:
            salt, value = _AUTH_HASH_SALT, f"{self.password}:{self.session_generation}"
        return salted_hmac(salt, value, secret=secret, algorithm="sha256").hexdigest()

    @property
    def name_to_show(self) -> str:
        return self.display_name or self.username


class SignInThrottle(models.Model):
    """Smart-lockout state for one sign-in name, whether or not an account has that name.

    Keeping the same state for unknown names means a lockout never tells an
    attacker which names exist.
    """

    name_digest = models.CharField(max_length=64, db_index=True)
    # Within a name: "unfamiliar", "device:<id>" for a familiar device, "address:<ip>"...
    bucket = models.CharField(max_length=80, blank=True, default="")
    failed_count = models.PositiveIntegerField(default=0)
    recent_bad_passwords = models.JSONField(default=list, blank=True)
    lockout_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True, db_index=True)
    last_failure_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["name_digest", "bucket"], name="one_throttle_per_bucket"
            )
        ]
        verbose_name = _("sign-in lockout")
        verbose_name_plural = _("sign-in lockouts")

    def __str__(self) -> str:
        return self.name_digest[:12]


class UserSession(AbstractBaseSession):
    """A server-side session that knows its user, so sessions can be listed and revoked."""

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="sessions"
    )
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=512, blank=True)
    signed_in_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("session")
        verbose_name_plural = _("sessions")

    @classmethod
    def get_session_store_class(cls) -> Any:
        from twofold.accounts.sessions import SessionStore

        return SessionStore

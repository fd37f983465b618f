from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class TrustedBrowser(models.Model):
    """A browser where the user chose "Don't ask again"; revocable because it is a row."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="trusted_browsers"
    )
    # SHA-256 of the random token in the cookie: a database leak yields no usable cookie.
    token_hash = models.CharField(max_length=64, unique=True)
    user_agent = models.CharField(_("browser"), max_length=512, blank=True)
    created_at = models.DateTimeField(_("remembered"), auto_now_add=True)
    expires_at = models.DateTimeField(_("until"), db_index=True)

    class Meta:
        verbose_name = _("remembered browser")
        verbose_name_plural = _("remembered browsers")

    def __str__(self) -> str:
        return f"{self.user} ({self.expires_at:%Y-%m-%d})"

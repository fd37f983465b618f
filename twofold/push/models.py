"""Activations and notifications of the authenticator app.

The device's key, once the registration is finished, lives with the user's other security
info in RegisteredMethod (the Twofold Authenticator method, looked up by device id). These
tables hold what must cross from the app's connection to the browser's: an activation the
app claims with its code, and a notification the app answers.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from twofold.methods.purposes import Purpose


class PushActivation(models.Model):
    """A registration waiting for the app: claimed once with its code, then tested."""

    id = models.CharField(primary_key=True, max_length=32, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    # Keyed digest of the activation code: a database copy doesn't give live codes away.
    code_digest = models.CharField(max_length=64, unique=True)
    # The browser waits on this (digest of a token only its page holds).
    wait_digest = models.CharField(max_length=64, unique=True)
    # The verification-code secret, handed to the app so codes work offline (encrypted).
    encrypted_totp_secret = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(db_index=True)
    device_id = models.CharField(max_length=64, blank=True, default="", db_index=True)
    public_key = models.CharField(max_length=200, blank=True, default="")
    key_type = models.CharField(max_length=16, blank=True, default="")
    device_name = models.CharField(max_length=100, blank=True, default="")
    activated_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("authenticator app activation")
        verbose_name_plural = _("authenticator app activations")

    def __str__(self) -> str:
        return f"{self.user} {self.device_name or self.pk}"


class PushChallenge(models.Model):
    """One notification: shown in the app, answered once, consumed once by the browser."""

    # The challenge engine's purposes: a notification is one more kind of challenge.
    Purpose = Purpose

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for an answer")
        APPROVED = "approved", _("Approved")
        DENIED = "denied", _("Denied")
        WRONG_NUMBER = "wrong_number", _("Wrong number")
        FRAUD_REPORTED = "fraud_reported", _("Reported as fraud")
        REPLACED = "replaced", _("Replaced by a newer notification")
        CONSUMED = "consumed", _("Used")

    id = models.CharField(primary_key=True, max_length=32, editable=False)
    # No user: a decoy shown at password reset for a name without the app (see send_decoy).
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", null=True
    )
    device_id = models.CharField(max_length=64)
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    # Signed back by the device: binds an answer to this one notification.
    nonce = models.CharField(max_length=64)
    # Shown only in the browser; the app must send back what the user typed.
    number = models.CharField(max_length=2)
    wait_digest = models.CharField(max_length=64, unique=True)
    app_name = models.CharField(max_length=200, blank=True, default="")
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    location = models.CharField(max_length=200, blank=True, default="")
    browser = models.CharField(max_length=100, blank=True, default="")
    require_pin = models.BooleanField(default=False)
    created_at = models.DateTimeField(db_index=True)
    expires_at = models.DateTimeField()
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["device_id", "status"], name="push_device_status")]

    def __str__(self) -> str:
        return f"{self.user} {self.purpose} {self.status}"

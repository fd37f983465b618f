from __future__ import annotations

import datetime as dt
import secrets

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from twofold.core import clock


def new_token() -> str:
    return secrets.token_urlsafe(24)


def _now() -> dt.datetime:
    return clock.now()


class Outbound(models.Model):
    """A text sent or a call placed, and what became of it."""

    class Channel(models.TextChoices):
        TEXT = "text", _("Text message")
        CALL = "call", _("Phone call")

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENT = "sent", _("Sent")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")
        RINGING = "ringing", _("Ringing")
        CONFIRMED = "confirmed", _("Answered and confirmed")
        FRAUD_REPORTED = "fraud_reported", _("Fraud reported")
        WRONG_KEY = "wrong_key", _("Answered, wrong key")
        NO_ANSWER = "no_answer", _("Not answered")
        # For a made-up account at the password reset portal: written like a real text or
        # call, never sent, never shown (see services.send_decoy_text).
        DECOY = "decoy", _("Made up, never sent")

    # Random and unguessable: it names the call in webhook and dev phone URLs.
    token = models.CharField(max_length=64, unique=True, default=new_token, editable=False)
    channel = models.CharField(max_length=8, choices=Channel.choices)
    to_number = models.CharField(_("to"), max_length=32, db_index=True)
    extension = models.CharField(max_length=10, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # A decoy's stand-in for a user: the same for the same reset name, never a user's id.
    decoy_key = models.CharField(max_length=64, blank=True, db_index=True)
    # The journey it was sent for (registration, sign-in, ...): each has its own backoff.
    budget = models.CharField(max_length=16, blank=True)
    language = models.CharField(max_length=8, default="en")
    # Only the dev phone keeps a text's words (it shows them); real gateways keep none.
    body = models.TextField(blank=True)
    gateway = models.CharField(max_length=16)
    provider_id = models.CharField(max_length=64, blank=True, db_index=True)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    digits = models.CharField(max_length=16, blank=True)
    # A confirmed call proves possession once; consuming it makes replay useless.
    consumed_at = models.DateTimeField(null=True, blank=True)
    # The clock's time: the backoff between sends reads it (twofold.messaging.services).
    created_at = models.DateTimeField(default=_now, editable=False, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("text or call")
        verbose_name_plural = _("texts and calls")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.channel} {self.to_number} {self.status}"


def sent_outbound() -> models.QuerySet[Outbound]:
    """Texts and calls that were really sent: what the dev phone and the admin show."""
    return Outbound.objects.exclude(status=Outbound.Status.DECOY)

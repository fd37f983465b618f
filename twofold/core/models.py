from __future__ import annotations

from django.db import models


class RateCounter(models.Model):
    """Hits against one limit from one caller in the current window.

    Limits that cost money or protect accounts live here rather than in the cache, so a
    cache outage can't turn them off. One row per (scope, caller); a hit after the window
    has ended starts a new one (``twofold.core.ratelimit``).
    """

    scope = models.CharField(max_length=32)
    # A keyed hash of the caller (an address, a name, a number): bounded, and not readable.
    key_digest = models.CharField(max_length=64)
    hits = models.PositiveIntegerField(default=0)
    expires_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["scope", "key_digest"], name="core_ratecounter_unique")
        ]

    def __str__(self) -> str:
        return f"{self.scope} {self.key_digest[:8]} {self.hits}"


class UsedToken(models.Model):
    """A single-use token (a solved CAPTCHA, ...) that was used, until it would expire anyway."""

    digest = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(db_index=True)

    def __str__(self) -> str:
        return self.digest[:8]

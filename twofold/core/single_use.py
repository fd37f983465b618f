"""Tokens that work once (a solved CAPTCHA, ...), recorded in the database.

A unique row per used token: two requests racing with the same token can't both insert
it, and a cache outage can't make a token reusable.
"""

from __future__ import annotations

import datetime as dt
import secrets

from django.db import IntegrityError, transaction

from twofold.core import clock
from twofold.core.models import UsedToken
from twofold.core.ratelimit import PRUNE_ONE_IN, digest


def use_once(scope: str, token: str, valid_seconds: int) -> bool:
    """True the first time ``token`` is used within its life, False every time after."""
    if not token:
        return False
    now = clock.now()
    try:
        with transaction.atomic():
            UsedToken.objects.create(
                digest=digest(scope, token), expires_at=now + dt.timedelta(seconds=valid_seconds)
            )
    except IntegrityError:
        return False
    if secrets.randbelow(PRUNE_ONE_IN) == 0:
        # Only tokens that no longer verify anyway are forgotten.
        transaction.on_commit(lambda: UsedToken.objects.filter(expires_at__lt=now).delete())
    return True

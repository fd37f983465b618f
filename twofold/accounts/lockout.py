"""Smart lockout: 10 failed passwords lock a sign-in name for 60 s, longer each time.

State is kept per sign-in name whether an account exists or not, so being
locked out says nothing about which names are real. Verification codes use the
same mechanism under their own subject (see ``code_subject``) with a lower threshold.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction

from twofold.accounts.models import SignInThrottle
from twofold.accounts.principal_names import normalise_principal_name
from twofold.core import clock

RECENT_BAD_PASSWORDS_KEPT = 3
MAX_LOCKOUT_DOUBLINGS = 5
# After a quiet day an account starts over at the base lockout duration.
FORGET_AFTER = dt.timedelta(hours=24)


@dataclass(frozen=True)
class LockoutState:
    locked: bool
    retry_after_seconds: int = 0
    # Whether any failure is on record (so a success has something to clear).
    has_failures: bool = False


def name_digest(principal_name: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, normalise_principal_name(principal_name).encode(), "sha256").hexdigest()


def _password_fingerprint(digest: str, password: str) -> str:
    key = hashlib.sha256(settings.SECRET_KEY.encode() + b"bad-password").digest()
    message = digest.encode() + b"\0" + password.encode("utf-8", "surrogatepass")
    return hmac.new(key, message, "sha256").hexdigest()[:24]


def current_lockout(principal_name: str) -> LockoutState:
    now = clock.now()
    rows = list(
        SignInThrottle.objects.filter(name_digest=name_digest(principal_name)).values_list(
            "locked_until", flat=True
        )[:1]
    )
    if not rows:
        return LockoutState(locked=False)
    locked_until = rows[0]
    if locked_until is None or locked_until <= now:
        return LockoutState(locked=False, has_failures=True)
    return LockoutState(
        locked=True, retry_after_seconds=_seconds_until(locked_until, now), has_failures=True
    )


def code_subject(user_id: int) -> str:
    return f"codes:{user_id}"


def record_failed_password(
    principal_name: str, password: str, *, threshold: int | None = None
) -> LockoutState:
    """Count a wrong password (or code); returns the state after counting."""
    digest = name_digest(principal_name)
    fingerprint = _password_fingerprint(digest, password)
    now = clock.now()
    lockout = settings.TWOFOLD_LOCKOUT
    with transaction.atomic():
        throttle, _ = SignInThrottle.objects.select_for_update().get_or_create(name_digest=digest)
        if throttle.last_failure_at and now - throttle.last_failure_at > FORGET_AFTER:
            throttle.failed_count = 0
            throttle.lockout_count = 0
            throttle.recent_bad_passwords = []
        throttle.last_failure_at = now
        # The same wrong password typed again (a user retrying a stale saved password)
        # is one guess, not several: it gives an attacker nothing new.
        if fingerprint in throttle.recent_bad_passwords:
            throttle.save(update_fields=["last_failure_at"])
            return LockoutState(locked=False)
        throttle.recent_bad_passwords = [
            *throttle.recent_bad_passwords[-(RECENT_BAD_PASSWORDS_KEPT - 1) :],
            fingerprint,
        ]
        throttle.failed_count += 1
        if throttle.failed_count < (threshold or lockout["threshold"]):
            throttle.save()
            return LockoutState(locked=False)
        doublings = min(throttle.lockout_count, MAX_LOCKOUT_DOUBLINGS)
        seconds = lockout["seconds"] * (2**doublings)
        throttle.lockout_count += 1
        throttle.failed_count = 0
        throttle.locked_until = now + dt.timedelta(seconds=seconds)
        throttle.save()
    return LockoutState(locked=True, retry_after_seconds=seconds)


def record_successful_password(principal_name: str) -> None:
    SignInThrottle.objects.filter(name_digest=name_digest(principal_name)).delete()


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))

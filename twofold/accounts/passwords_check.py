"""The one password check: lockout, equal timing for unknown names, disabled accounts."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import models

from twofold.accounts import lockout
from twofold.accounts.models import User
from twofold.accounts.principal_names import normalise_principal_name


class Outcome(models.TextChoices):
    ACCEPTED = "accepted"
    INCORRECT = "incorrect"
    LOCKED = "locked"
    DISABLED = "disabled"
    THROTTLED = "throttled"


@dataclass(frozen=True)
class SignInResult:
    outcome: Outcome
    user: User | None = None
    retry_after_seconds: int = 0
    newly_locked: bool = False


def verify_password(
    principal_name: str, password: str, source: lockout.Source | None = None
) -> SignInResult:
    """Check a password with smart lockout, without touching any session."""
    name = normalise_principal_name(principal_name)
    attempt = lockout.begin_attempt(
        lockout.password_guards(name, source or lockout.Source()), password
    )
    if not attempt.allowed:
        # A locked name is refused before the password is looked at, so guesses
        # made during the lockout teach the attacker nothing.
        outcome = (
            Outcome.THROTTLED if attempt.refused_by is lockout.Scope.SOURCE else Outcome.LOCKED
        )
        return SignInResult(outcome, retry_after_seconds=attempt.retry_after_seconds)
    user = User.objects.filter(username=name).first()
    if user is None:
        # Hash anyway so an unknown name costs the same time as a known one.
        User().set_password(password)
        password_ok = False
    else:
        password_ok = user.check_password(password)
    if not password_ok:
        after = lockout.finish_attempt(attempt, lockout.Result.FAILED)
        if after.locked:
            return SignInResult(Outcome.LOCKED, user, after.retry_after_seconds, newly_locked=True)
        return SignInResult(Outcome.INCORRECT, user)
    lockout.finish_attempt(attempt, lockout.Result.SUCCEEDED)
    assert user is not None
    if not user.is_active:
        return SignInResult(Outcome.DISABLED, user)
    return SignInResult(Outcome.ACCEPTED, user)

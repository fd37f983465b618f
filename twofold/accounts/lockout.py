"""Smart lockout: failure counters for every guess surface, kept in the database.

A counter (a ``Guard``) belongs to a subject (a sign-in name, a user's codes, a reset) and a
bucket within it. Like Entra's smart lockout, failures from devices that never signed the
name in before share one "unfamiliar" bucket, and each familiar device has its own: an
attacker with no credentials can lock the unfamiliar bucket, never the owner's own browser.
Failures are also counted per source address across all names, against password spraying.

State is kept per sign-in name whether an account exists or not, so being locked out says
nothing about which names are real.

Checking and counting happen in one locked transaction *before* the secret is checked: an
attempt reserves a failure, and success or a not-counted outcome gives it back. Sixteen
concurrent guesses against a threshold of ten get ten checks, not sixteen.
"""

from __future__ import annotations

import datetime as dt
import enum
import hashlib
import hmac
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from twofold.accounts.models import SignInThrottle
from twofold.accounts.principal_names import normalise_principal_name
from twofold.core import clock

RECENT_BAD_PASSWORDS_KEPT = 3
MAX_LOCKOUT_DOUBLINGS = 5
# After a quiet day an account starts over at the base lockout duration.
FORGET_AFTER = dt.timedelta(hours=24)
# Wrong codes and answers lock sooner than wrong passwords: a 6-digit code has a million
# values, a password far more.
CODE_FAILURE_THRESHOLD = 5
SOURCE_WINDOW = dt.timedelta(minutes=15)
UNFAMILIAR = "unfamiliar"


@dataclass(frozen=True)
class Rule:
    threshold: int
    lock_seconds: int
    doubles: bool = True
    # A retyped password (a stale saved password) is one guess, not several: it gives an
    # attacker nothing new. Codes and answers never get this: a wrong code sent again may
    # become right later, and every answer tried is a guess.
    repeats_count_once: bool = False
    forget_after: dt.timedelta = FORGET_AFTER


def password_rule() -> Rule:
    lockout = settings.TWOFOLD_LOCKOUT
    return Rule(lockout["threshold"], lockout["seconds"], repeats_count_once=True)


def code_rule() -> Rule:
    return Rule(CODE_FAILURE_THRESHOLD, settings.TWOFOLD_LOCKOUT["seconds"])


def source_rule() -> Rule:
    return Rule(
        settings.TWOFOLD_LOCKOUT["ip_failure_limit"],
        int(SOURCE_WINDOW.total_seconds()),
        doubles=False,
        repeats_count_once=True,
        forget_after=SOURCE_WINDOW,
    )


class Scope(enum.StrEnum):
    """What a guard protects; a refusal says which one refused."""

    ACCOUNT = "account"
    SOURCE = "source"


@dataclass(frozen=True)
class Guard:
    subject: str
    bucket: str
    rule: Rule
    scope: Scope = Scope.ACCOUNT

    @property
    def digest(self) -> str:
        return name_digest(self.subject)


@dataclass(frozen=True)
class Source:
    """Where an attempt comes from: its address, and a familiar device when it has one."""

    address: str = ""
    familiar_device: str = ""

    def bucket(self) -> str:
        return f"device:{self.familiar_device}" if self.familiar_device else UNFAMILIAR


@dataclass(frozen=True)
class LockoutState:
    locked: bool
    retry_after_seconds: int = 0
    # Whether any failure is on record (so a success has something to clear).
    has_failures: bool = False


@dataclass(frozen=True)
class Attempt:
    """A guess let through (one failure reserved on each guard), or refused."""

    allowed: bool
    retry_after_seconds: int = 0
    refused_by: Scope | None = None
    reserved: tuple[Guard, ...] = ()
    guards: tuple[Guard, ...] = ()
    fingerprint: str = ""


class Result(enum.Enum):
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    # Nothing was guessed (a push not answered yet, a form the method could not read).
    NOT_COUNTED = "not counted"


@dataclass
class _Row:
    guard: Guard
    throttle: SignInThrottle = field(repr=False)
    # Made by this attempt, with its one failure already counted in the INSERT.
    created: bool = False


def name_digest(principal_name: str) -> str:
    key = settings.SECRET_KEY.encode()
    return hmac.new(key, normalise_principal_name(principal_name).encode(), "sha256").hexdigest()


def code_subject(user_id: int) -> str:
    return f"codes:{user_id}"


def reset_subject(principal_name: str) -> str:
    return f"reset:{normalise_principal_name(principal_name)}"


def app_password_subject(principal_name: str) -> str:
    return f"app:{normalise_principal_name(principal_name)}"


def source_key(address: str) -> str:
    """An address as counted: IPv6 by /64, since one host is given a whole /64 to pick from."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return str(parsed)


def source_guard(address: str) -> Guard:
    return Guard(f"source:{source_key(address)}", "", source_rule(), Scope.SOURCE)


def password_guards(principal_name: str, source: Source) -> list[Guard]:
    guards = [Guard(normalise_principal_name(principal_name), source.bucket(), password_rule())]
    # A familiar device is not held back by failures that others make from its address
    # (an office behind one NAT address); it has its own per-device counter instead.
    if source.address and not source.familiar_device:
        guards.append(source_guard(source.address))
    return guards


def reset_guards(principal_name: str, source: Source) -> list[Guard]:
    """The reset portal counts on its own, so wrong answers there lock neither sign-in nor codes."""
    guards = [Guard(reset_subject(principal_name), source.bucket(), code_rule())]
    if source.address and not source.familiar_device:
        guards.append(source_guard(source.address))
    return guards


def app_password_guards(principal_name: str, address: str) -> list[Guard]:
    # Apps have no cookies: each source address has its own counter for the account, so
    # failures from elsewhere never lock out the device that holds the right app password.
    guards = [
        Guard(
            app_password_subject(principal_name),
            f"address:{source_key(address)}",
            password_rule(),
        )
    ]
    if address:
        guards.append(source_guard(address))
    return guards


def code_guards(user_id: int) -> list[Guard]:
    # Only reachable after the right password (or signed in): not a lever for strangers.
    return [Guard(code_subject(user_id), "", code_rule())]


def fingerprint_of(subject: str, secret: str) -> str:
    key = hashlib.sha256(settings.SECRET_KEY.encode() + b"bad-password").digest()
    message = name_digest(subject).encode() + b"\0" + secret.encode("utf-8", "surrogatepass")
    return hmac.new(key, message, "sha256").hexdigest()[:24]


def begin_attempt(guards: Sequence[Guard], guess: str = "") -> Attempt:
    """Refuse when any guard is locked or full; otherwise reserve one failure on each."""
    guards = tuple(guards)
    if not guards:
        return Attempt(allowed=True)
    fingerprint = fingerprint_of(guards[0].subject, guess)
    now = clock.now()
    with transaction.atomic():
        rows = _lock_rows(guards, create_at=now)
        for row in rows:
            _forget_if_quiet(row, now)
        for row in rows:
            if row.created:
                continue  # a first failure on record: nothing can refuse it
            throttle, rule = row.throttle, row.guard.rule
            if throttle.locked_until and throttle.locked_until > now:
                _save_forgotten(rows)
                return Attempt(
                    allowed=False,
                    retry_after_seconds=_seconds_until(throttle.locked_until, now),
                    refused_by=row.guard.scope,
                )
            if throttle.failed_count >= rule.threshold:
                # Guesses already in flight fill the threshold: wait for their outcome.
                _save_forgotten(rows)
                return Attempt(
                    allowed=False,
                    retry_after_seconds=_lock_seconds(rule, throttle.lockout_count),
                    refused_by=row.guard.scope,
                )
        reserved = []
        for row in rows:
            throttle = row.throttle
            if row.created:
                reserved.append(row.guard)
                continue
            if row.guard.rule.repeats_count_once and fingerprint in throttle.recent_bad_passwords:
                throttle.save()
                continue
            throttle.failed_count += 1
            throttle.last_failure_at = now
            throttle.save()
            reserved.append(row.guard)
    return Attempt(allowed=True, reserved=tuple(reserved), guards=guards, fingerprint=fingerprint)


def finish_attempt(attempt: Attempt, result: Result) -> LockoutState:
    """Settle a reserved attempt; returns whether this failure just locked a guard."""
    if not attempt.allowed or not attempt.guards:
        return LockoutState(locked=False)
    if result is Result.SUCCEEDED:
        _clear_after_success(attempt)
        return LockoutState(locked=False)
    now = clock.now()
    newly_locked = LockoutState(locked=False)
    with transaction.atomic():
        for row in _lock_rows(attempt.reserved):
            throttle = row.throttle
            if result is Result.NOT_COUNTED:
                throttle.failed_count = max(0, throttle.failed_count - 1)
                throttle.save(update_fields=["failed_count"])
                continue
            newly_locked = _settle_failure(row, attempt.fingerprint, now) or newly_locked
            throttle.save()
    return newly_locked


def count_failure(guards: Sequence[Guard]) -> LockoutState:
    """Count one failure at once: for callers that already serialise their attempts on
    these guards in a locked transaction (verify_method locks the user row), so the
    check they made and this count cannot be raced."""
    now = clock.now()
    newly_locked = LockoutState(locked=False)
    with transaction.atomic():
        for row in _lock_rows(guards, create_at=now):
            if not row.created:
                _forget_if_quiet(row, now)
                row.throttle.failed_count += 1
                row.throttle.last_failure_at = now
            newly_locked = _settle_failure(row, "", now) or newly_locked
            row.throttle.save()
    return newly_locked


def _settle_failure(row: _Row, fingerprint: str, now: dt.datetime) -> LockoutState | None:
    """A counted failure: remember a retyped password, lock at the threshold (unsaved)."""
    throttle, rule = row.throttle, row.guard.rule
    if rule.repeats_count_once and fingerprint:
        throttle.recent_bad_passwords = [
            *throttle.recent_bad_passwords[-(RECENT_BAD_PASSWORDS_KEPT - 1) :],
            fingerprint,
        ]
    if throttle.failed_count < rule.threshold:
        return None
    seconds = _lock_seconds(rule, throttle.lockout_count)
    throttle.lockout_count += 1
    throttle.failed_count = 0
    throttle.locked_until = now + dt.timedelta(seconds=seconds)
    # An address reaching its limit is told at its next attempt ("too many").
    if row.guard.scope is Scope.ACCOUNT:
        return LockoutState(locked=True, retry_after_seconds=seconds)
    return None


def clear(guards: Sequence[Guard]) -> None:
    """Forget these guards' failures after a success (the account ones; not an address's)."""
    for guard in guards:
        if guard.scope is Scope.ACCOUNT:
            SignInThrottle.objects.filter(name_digest=guard.digest, bucket=guard.bucket).delete()


def current_lockout(guards: Sequence[Guard]) -> LockoutState:
    """The state of these guards without counting anything (for pages that explain a lock)."""
    now = clock.now()
    wanted = Q(pk__in=[])
    for guard in guards:
        wanted |= Q(name_digest=guard.digest, bucket=guard.bucket)
    rows = list(SignInThrottle.objects.filter(wanted).values_list("locked_until", flat=True))
    until = [moment for moment in rows if moment is not None and moment > now]
    if not until:
        return LockoutState(locked=False, has_failures=bool(rows))
    return LockoutState(
        locked=True, retry_after_seconds=_seconds_until(max(until), now), has_failures=True
    )


def clear_subjects(*subjects: str) -> None:
    """Forget every bucket of these subjects (an administrator's unlock, a completed reset)."""
    digests = [name_digest(subject) for subject in subjects]
    SignInThrottle.objects.filter(name_digest__in=digests).delete()


def _clear_after_success(attempt: Attempt) -> None:
    with transaction.atomic():
        clear(attempt.guards)
        # A right secret says nothing about the other names an address tried: its
        # reservation is given back, its count stays.
        for row in _lock_rows([guard for guard in attempt.reserved if guard.scope is Scope.SOURCE]):
            row.throttle.failed_count = max(0, row.throttle.failed_count - 1)
            row.throttle.save(update_fields=["failed_count"])


def _lock_rows(guards: Sequence[Guard], *, create_at: dt.datetime | None = None) -> list[_Row]:
    """The guards' rows, locked; with ``create_at``, missing ones are made holding one
    failure at that time (the attempt's reservation), in the INSERT itself."""
    # Always the same order, so two attempts locking the same rows cannot deadlock.
    rows = []
    for guard in sorted(guards, key=lambda g: (g.digest, g.bucket)):
        query = SignInThrottle.objects.select_for_update()
        if create_at is not None:
            throttle, created = query.get_or_create(
                name_digest=guard.digest,
                bucket=guard.bucket,
                defaults={"failed_count": 1, "last_failure_at": create_at},
            )
            rows.append(_Row(guard, throttle, created))
            continue
        found = query.filter(name_digest=guard.digest, bucket=guard.bucket).first()
        if found is not None:
            rows.append(_Row(guard, found))
    return rows


def _forget_if_quiet(row: _Row, now: dt.datetime) -> None:
    throttle = row.throttle
    last = throttle.last_failure_at
    if last and now - last > row.guard.rule.forget_after:
        still_locked = throttle.locked_until and throttle.locked_until > now
        if not still_locked:
            throttle.failed_count = 0
            throttle.lockout_count = 0
            throttle.recent_bad_passwords = []
            throttle.locked_until = None


def _save_forgotten(rows: list[_Row]) -> None:
    """Save a refused attempt's rows: what a quiet day forgot, and no failure it reserved."""
    for row in rows:
        if row.created:
            row.throttle.failed_count = 0
            row.throttle.last_failure_at = None
        row.throttle.save()


def _lock_seconds(rule: Rule, lockout_count: int) -> int:
    if not rule.doubles:
        return rule.lock_seconds
    return rule.lock_seconds * (2 ** min(lockout_count, MAX_LOCKOUT_DOUBLINGS))


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))

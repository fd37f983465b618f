"""Use-cases on a user's security info; every page and API goes through these."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from twofold.accounts import lockout
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock
from twofold.fraud.services import blocked_message, has_open_fraud_alert
from twofold.methods.base import NewMethod, SecurityMethod, VerificationFailed
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import get_method
from twofold.methods.stepup import require_step_up


def method_of(registered: RegisteredMethod) -> SecurityMethod:
    method = get_method(registered.kind)
    if method is None:
        raise LookupError(f"No security method {registered.kind!r} is installed.")
    return method


class AlreadyHasMethod(VerificationFailed):
    """A second method of a kind a person may have once: not a wrong proof."""

    counts_as_failure = False


def already_has_message(user: User, method: SecurityMethod) -> str | None:
    """Why ``user`` can't add ``method`` again, or None when they may."""
    if not method.one_per_person:
        return None
    if not RegisteredMethod.objects.filter(user=user, kind=method.key).exists():
        return None
    return _(
        "%(method)s is already in your security info, and you can have only one. "
        "To use a different number, delete it on the Security info page, then add the new one."
    ) % {"method": method.name}


def check_may_add(user: User, method: SecurityMethod) -> None:
    """Raises AlreadyHasMethod for a second method of a one-per-person kind."""
    message = already_has_message(user, method)
    if message is not None:
        raise AlreadyHasMethod(message)


def register_method(
    user: User,
    method: SecurityMethod,
    pending: dict[str, Any],
    cleaned_data: dict[str, Any],
    *,
    request: HttpRequest | None = None,
) -> RegisteredMethod:
    """Check the proof of possession and save the method.

    Raises StepUpRequired without a recent verification, VerificationFailed for a wrong proof.
    """
    require_step_up(request, user)
    check_may_add(user, method)
    attempt = lockout.begin_attempt(lockout.code_guards(user.pk))
    if not attempt.allowed:
        raise VerificationFailed(_locked_message(attempt.retry_after_seconds))
    try:
        new = method.finish_registration(user, pending, cleaned_data, clock.now())
    except VerificationFailed as failure:
        if not failure.counts_as_failure:
            lockout.finish_attempt(attempt, lockout.Result.NOT_COUNTED)
            raise
        lock = lockout.finish_attempt(attempt, lockout.Result.FAILED)
        locked = _count_failure(user, lock, method.key, request)
        if locked is not None:
            raise VerificationFailed(locked.message) from failure
        raise
    except BaseException:
        lockout.finish_attempt(attempt, lockout.Result.NOT_COUNTED)
        raise
    try:
        registered = _save_new_method(user, method, new, request=request)
    except AlreadyHasMethod:
        lockout.finish_attempt(attempt, lockout.Result.NOT_COUNTED)
        raise
    lockout.finish_attempt(attempt, lockout.Result.SUCCEEDED)
    return registered


def add_method_for_user(user: User, method: SecurityMethod, value: str) -> RegisteredMethod:
    """An administrator adds a number or address to a user's security info (no proof of
    possession: the administrator vouches for it). Raises VerificationFailed with the reason.

    Server-side only (the REST API, the CLI): it acts on its operator's authority, as the
    flows do when given no browser request (see stepup.require_step_up).
    """
    with transaction.atomic():
        # The duplicate check and the save see the same rows: two calls can't both add it.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk").first()
        new = method.admin_registration(user, value)
        return _save_new_method(user, method, new, request=None, used=False)


def _save_new_method(
    user: User,
    method: SecurityMethod,
    new: NewMethod,
    *,
    request: HttpRequest | None,
    used: bool = True,
) -> RegisteredMethod:
    with transaction.atomic():
        # Lock the user's rows so two registrations can't both become the default.
        existing = list(RegisteredMethod.objects.select_for_update().filter(user=user))
        if method.one_per_person and any(m.kind == method.key for m in existing):
            # Two tabs each proved a number: only the first becomes the method.
            raise AlreadyHasMethod(already_has_message(user, method) or "")
        registered = RegisteredMethod(
            user=user,
            kind=method.key,
            label=new.label,
            counter=new.counter,
            lookup_key=new.lookup_key,
            is_default=method.for_two_step and not any(m.is_default for m in existing),
        )
        registered.data = new.data
        # A registration proved the method just now; one added for the user is not used yet.
        registered.last_used_at = clock.now() if used else None
        registered.save()
        record_event(
            AuditEvent.Kind.METHOD_REGISTERED,
            user=user,
            request=request,
            method=method.key,
            method_id=registered.pk,
        )
    return registered


@dataclass(frozen=True)
class VerificationResult:
    ok: bool
    message: str = ""
    retry_after_seconds: int = 0


def verify_method(
    registered: RegisteredMethod,
    cleaned_data: dict[str, Any],
    *,
    request: HttpRequest | None = None,
    purpose: str = "sign-in",
    state: dict[str, Any] | None = None,
    guards: Sequence[lockout.Guard] | None = None,
) -> VerificationResult:
    """Check a code, answer or signature; wrong ones count towards the user's code lockout.

    ``guards`` are the counters a wrong answer counts on: by default the user's codes; the
    reset portal passes ``()`` and counts on its own, so strangers there lock nothing here.
    """
    user = registered.user
    if has_open_fraud_alert(user):
        return VerificationResult(ok=False, message=blocked_message())
    guards = lockout.code_guards(user.pk) if guards is None else guards
    method = method_of(registered)
    failure: VerificationFailed | None = None
    with transaction.atomic():
        # One locked transaction holds the lockout check, the check of the proof and the
        # count of a failure: the user's row lock queues that user's attempts, so guesses
        # sent together cannot all be checked before any is counted.
        lock_user_for_verification(user.pk)
        lock = lockout.current_lockout(guards)
        if lock.locked:
            return _locked_result(lock.retry_after_seconds)
        # The method's row lock makes check-and-advance of its counter atomic: two requests
        # racing with the same code cannot both succeed.
        row = RegisteredMethod.objects.select_for_update().get(pk=registered.pk)
        try:
            method.verify(row, cleaned_data, clock.now(), state or {})
        except VerificationFailed as refused:
            failure = refused  # what verify() wrote on the way (a closed challenge) stays
        else:
            row.last_used_at = clock.now()
            row.save(update_fields=["counter", "encrypted_data", "last_used_at"])
            record_event(
                AuditEvent.Kind.MFA_SUCCEEDED,
                user=user,
                request=request,
                method=method.key,
                purpose=purpose,
            )
            if lock.has_failures:
                lockout.clear(guards)
            return VerificationResult(ok=True)
        if not failure.counts_as_failure:
            return VerificationResult(ok=False, message=failure.message)
        # Every wrong code counts, the same one sent again too: it may become right later.
        locked = _count_failure(
            user, lockout.count_failure(guards), method.key, request, purpose=purpose
        )
    return locked or VerificationResult(ok=False, message=failure.message)


def lock_user_for_verification(user_id: int) -> None:
    """Queue this user's verifications behind each other (see verify_method).

    The reset portal takes the same lock for made-up accounts (id 0), so they take as long.
    SQLite's IMMEDIATE transactions already queue every writer.
    """
    if connection.features.has_select_for_update:
        User.objects.select_for_update().filter(pk=user_id).values_list("pk").first()


def delete_method(user: User, method_id: int, *, request: HttpRequest | None = None) -> bool:
    """Delete one method; when it was the default, the strongest remaining one takes over."""
    require_step_up(request, user)
    with transaction.atomic():
        methods = list(RegisteredMethod.objects.select_for_update().filter(user=user))
        target = next((m for m in methods if m.pk == method_id), None)
        if target is None:
            return False
        remaining = [m for m in methods if m.pk != method_id]
        target.delete()
        record_event(AuditEvent.Kind.METHOD_DELETED, user=user, request=request, method=target.kind)
        if target.is_default:
            successor = strongest_two_step(remaining)
            if successor is not None:
                successor.is_default = True
                successor.save(update_fields=["is_default"])
                record_event(
                    AuditEvent.Kind.DEFAULT_METHOD_CHANGED,
                    user=user,
                    request=request,
                    method=successor.kind,
                    reason="previous default deleted",
                )
    return True


def strongest_two_step(methods: list[RegisteredMethod]) -> RegisteredMethod | None:
    candidates = [m for m in methods if (method := get_method(m.kind)) and method.for_two_step]
    if not candidates:
        return None
    # Strongest kind first; among equals the most recently used, then the newest.
    return max(
        candidates,
        key=lambda m: (
            method_of(m).strength,
            m.last_used_at.timestamp() if m.last_used_at else 0,
            m.pk,
        ),
    )


def set_default_method(user: User, method_id: int, *, request: HttpRequest | None = None) -> bool:
    require_step_up(request, user)
    with transaction.atomic():
        methods = list(RegisteredMethod.objects.select_for_update().filter(user=user))
        target = next((m for m in methods if m.pk == method_id), None)
        if target is None or not method_of(target).for_two_step:
            return False
        if target.is_default:
            return True
        RegisteredMethod.objects.filter(user=user, is_default=True).update(is_default=False)
        target.is_default = True
        try:
            target.save(update_fields=["is_default"])
        except IntegrityError:  # pragma: no cover - the row locks above prevent it
            return False
        record_event(
            AuditEvent.Kind.DEFAULT_METHOD_CHANGED, user=user, request=request, method=target.kind
        )
    return True


def _locked_result(retry_after_seconds: int) -> VerificationResult:
    return VerificationResult(
        ok=False,
        message=_locked_message(retry_after_seconds),
        retry_after_seconds=retry_after_seconds,
    )


def _count_failure(
    user: User,
    lock: lockout.LockoutState,
    method_key: str,
    request: HttpRequest | None,
    *,
    purpose: str = "registration",
) -> VerificationResult | None:
    """Audit a counted failure (``lock``: the lockout state after counting it)."""
    record_event(
        AuditEvent.Kind.MFA_FAILED, user=user, request=request, method=method_key, purpose=purpose
    )
    if lock.locked:
        record_event(AuditEvent.Kind.MFA_LOCKED, user=user, request=request, method=method_key)
        return _locked_result(lock.retry_after_seconds)
    return None


def _locked_message(seconds: int) -> str:
    minutes = max(1, (seconds + 59) // 60)
    return ngettext(
        "Too many wrong codes. Try again in %(minutes)d minute.",
        "Too many wrong codes. Try again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}

"""One challenge engine: begin, reuse, verify and end a challenge for a purpose.

Sign-in, step-up and the reset portal all go through it. At the reset portal a name may
have no such method, or no account at all: the method makes up a look-alike challenge, and
it goes through the same steps, pages, transaction and audit record as a real one.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from django import forms
from django.db import transaction
from django.http import HttpRequest

from twofold.accounts import lockout
from twofold.accounts.sessions import SESSION_PENDING_CHALLENGES
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock
from twofold.fraud.services import blocked_message, has_open_fraud_alert_for
from twofold.methods import codes, encryption
from twofold.methods.base import ChallengeRefused, SecurityMethod, VerificationFailed
from twofold.methods.flows import VerificationResult, lock_user_for_verification, verify_method
from twofold.methods.models import RegisteredMethod
from twofold.methods.purposes import Purpose

__all__ = [
    "Challenge",
    "Purpose",
    "challenge_form",
    "challenge_page_context",
    "current_challenge",
    "end_challenge",
    "end_challenges",
    "look_alike_seed",
    "open_challenge",
    "verify_challenge",
]


@dataclass(frozen=True)
class Challenge:
    """A begun challenge; kept encrypted in the session until it is answered."""

    method_key: str
    state: dict[str, Any] = field(default_factory=dict)
    # Why it could not begin (too many texts, a blocked account), shown on the page.
    error: str = ""
    blocked: bool = False
    # Made up for a name without the method: answers to it are only ever refused.
    look_alike: bool = False
    # Begun before the person passed a first reset check (see quiet_challenge_state).
    quiet: bool = False


def look_alike_seed(name: str) -> bytes:
    """Stands for a name in its made-up challenges: the same name, the same made-up details."""
    return codes.name_seed(name)


def _slot(purpose: str, method: SecurityMethod, registered: RegisteredMethod | None) -> str:
    if purpose == Purpose.PASSWORD_RESET:
        # By kind only: a session copy must not show which methods the account has.
        return f"{purpose}:{method.key}"
    assert registered is not None
    return f"{purpose}:{registered.pk}"


def current_challenge(
    request: HttpRequest,
    purpose: str,
    method: SecurityMethod,
    registered: RegisteredMethod | None,
) -> Challenge | None:
    token = request.session.get(SESSION_PENDING_CHALLENGES, {}).get(
        _slot(purpose, method, registered)
    )
    if not token:
        return None
    try:
        return Challenge(**encryption.decrypt_json(token))
    except (encryption.InvalidToken, TypeError):
        return None  # a rotated-away key, tampering or an older shape: begin anew


def _store(request: HttpRequest, slot: str, challenge: Challenge | None) -> None:
    stored = dict(request.session.get(SESSION_PENDING_CHALLENGES, {}))
    if challenge is None:
        stored.pop(slot, None)
    else:
        stored[slot] = encryption.encrypt_json(asdict(challenge))
    request.session[SESSION_PENDING_CHALLENGES] = stored


def open_challenge(
    request: HttpRequest,
    purpose: str,
    method: SecurityMethod,
    registered: RegisteredMethod | None,
    *,
    seed: bytes = b"",
    contact: str = "",
    again: bool = False,
    quiet: bool = False,
) -> Challenge:
    """The open challenge, or a new one when there is none, it ended, or ``again`` is asked.

    ``registered`` None makes a look-alike for the name ``seed`` stands for, sent (in
    appearance) to ``contact``, the address or number typed. ``quiet`` (the
    reset portal before a first check) begins only what reaches nobody the person didn't name.
    """
    current = current_challenge(request, purpose, method, registered)
    reusable = (
        current is not None
        and not again
        and current.look_alike == (registered is None)
        and current.quiet == quiet
        # A reload must not send again (a text costs money, a notification tires the user).
        and method.challenge_still_open(current.state, clock.now())
    )
    if reusable:
        assert current is not None
        return current
    challenge = _begin(
        request, purpose, method, registered, seed=seed, contact=contact, quiet=quiet
    )
    _store(request, _slot(purpose, method, registered), challenge)
    return challenge


def _begin(
    request: HttpRequest,
    purpose: str,
    method: SecurityMethod,
    registered: RegisteredMethod | None,
    *,
    seed: bytes,
    contact: str,
    quiet: bool,
) -> Challenge:
    look_alike = registered is None
    if quiet:
        quiet_state = method.quiet_challenge_state()
        if quiet_state is not None:
            return Challenge(method.key, quiet_state, look_alike=look_alike, quiet=True)
    try:
        if registered is None:
            state = method.look_alike_state(seed, contact)
        else:
            state = method.begin_challenge(registered, request, Purpose(purpose))
    except ChallengeRefused as refused:
        return Challenge(
            method.key,
            error=refused.message,
            blocked=refused.blocked,
            look_alike=look_alike,
            quiet=quiet,
        )
    return Challenge(method.key, state, look_alike=look_alike, quiet=quiet)


def end_challenge(
    request: HttpRequest, purpose: str, method: SecurityMethod, registered: RegisteredMethod | None
) -> None:
    _store(request, _slot(purpose, method, registered), None)


def end_challenges(request: HttpRequest, purpose: str) -> None:
    """End every challenge of a purpose (a finished or abandoned password reset)."""
    stored = request.session.get(SESSION_PENDING_CHALLENGES, {})
    kept = {slot: token for slot, token in stored.items() if not slot.startswith(f"{purpose}:")}
    if kept != stored:
        request.session[SESSION_PENDING_CHALLENGES] = kept


def challenge_form(
    method: SecurityMethod, challenge: Challenge | None, data: Any = None
) -> forms.Form:
    return method.make_challenge_form(challenge.state if challenge else {}, data)


def challenge_page_context(
    request: HttpRequest,
    method: SecurityMethod,
    registered: RegisteredMethod | None,
    challenge: Challenge,
) -> dict[str, Any]:
    """What the challenge page shows besides the form, real or made up alike."""
    if registered is None or challenge.look_alike:
        extra = method.look_alike_context(challenge.state)
        user_id = 0  # the same question as a real account's, about nobody
    else:
        extra = method.challenge_context(registered, challenge.state, request)
        user_id = registered.user_id
    error = challenge.error or extra.get("error", "")
    blocked = challenge.blocked or bool(extra.get("blocked", False))
    # A fraud report during the challenge blocks it too (the call's 0#, a reported push).
    if has_open_fraud_alert_for(user_id) and not blocked:
        blocked, error = True, blocked_message()
    return {
        **extra,
        "error": error,
        "blocked": blocked,
        # Blocked after a fraud report: nothing to answer, so no Verify and no resend.
        "verify_button": not blocked and method.page_verify_button(extra),
    }


def verify_challenge(
    request: HttpRequest,
    purpose: str,
    method: SecurityMethod,
    registered: RegisteredMethod | None,
    cleaned_data: dict[str, Any],
    *,
    guards: Sequence[lockout.Guard] | None = None,
    principal_name: str = "",
) -> VerificationResult:
    """Check an answer to the open challenge; a right one ends it (answered once).

    A look-alike is refused after the same work and writes as a wrong real answer.
    """
    challenge = current_challenge(request, purpose, method, registered)
    state = challenge.state if challenge is not None else {}
    if registered is None or (challenge is not None and challenge.look_alike):
        return _refuse_look_alike(request, purpose, method, cleaned_data, state, principal_name)
    result = verify_method(
        registered, cleaned_data, request=request, purpose=purpose, state=state, guards=guards
    )
    if result.ok:
        end_challenge(request, purpose, method, registered)
    return result


def _refuse_look_alike(
    request: HttpRequest,
    purpose: str,
    method: SecurityMethod,
    cleaned_data: dict[str, Any],
    state: dict[str, Any],
    principal_name: str,
) -> VerificationResult:
    # Enumeration by timing or by the audit log: a made-up challenge asks the same questions
    # (fraud alert, locks) in the same kind of transaction, and leaves the same record, as a
    # wrong answer to a real one (see verify_method).
    has_open_fraud_alert_for(0)
    with transaction.atomic():
        lock_user_for_verification(0)
        lockout.current_lockout(())
        RegisteredMethod.objects.select_for_update().filter(pk=0).first()
        try:
            method.look_alike_verify(cleaned_data, clock.now(), state)
        except VerificationFailed as refused:
            failure = refused
        else:  # pragma: no cover - look_alike_verify always refuses
            failure = VerificationFailed("")
        if failure.counts_as_failure:
            record_event(
                AuditEvent.Kind.MFA_FAILED,
                principal_name=principal_name,
                request=request,
                method=method.key,
                purpose=purpose,
            )
    return VerificationResult(ok=False, message=failure.message)

"""Sign-in: the password step (lockout, throttling, audit), then the second step when due."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.auth import login, logout
from django.http import HttpRequest

from twofold.accounts.models import User
from twofold.accounts.passwords_check import Outcome, SignInResult, verify_password
from twofold.accounts.sessions import (
    SESSION_AMR,
    SESSION_INTERRUPT,
    SESSION_IP,
    SESSION_NEXT,
    SESSION_PENDING_SINCE,
    SESSION_PENDING_USER,
    SESSION_SIGNED_IN_AT,
    SESSION_USER_AGENT,
    SESSION_VERIFIED_AT,
)
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock, metrics
from twofold.core.network import client_ip, user_agent
from twofold.methods.models import RegisteredMethod
from twofold.policy.services import UserPolicy, interrupt_for
from twofold.signin.familiar import mark_familiar, source_for
from twofold.signin.trusted import is_trusted_browser

# The second step must follow the password promptly; a stale half-sign-in is dropped.
PENDING_SECONDS = 10 * 60


@dataclass(frozen=True)
class PasswordStep:
    result: SignInResult
    needs_second_step: bool = False


def sign_in_with_password(
    request: HttpRequest, principal_name: str, password: str, next_url: str = ""
) -> PasswordStep:
    # Password spraying (one address trying many names) and guessing from elsewhere are
    # both counted in verify_password, per address and per account, before the check.
    result = verify_password(principal_name, password, source_for(request, principal_name))
    metrics.SIGNIN_ATTEMPTS.labels(result.outcome).inc()
    if result.outcome == Outcome.ACCEPTED:
        assert result.user is not None
        return PasswordStep(result, begin_second_step(request, result.user, next_url))
    details = (
        {"retry_after_seconds": result.retry_after_seconds} if result.retry_after_seconds else {}
    )
    record_event(
        _refusal_audit_kind(result),
        user=result.user,
        principal_name=principal_name,
        request=request,
        **details,
    )
    return PasswordStep(result)


def begin_second_step(request: HttpRequest, user: User, next_url: str) -> bool:
    """After a right password: ask for a second factor, or finish signing in."""
    view = UserPolicy(user)
    has_second_factor = bool(view.usable(for_two_step=True))
    trusted = has_second_factor and is_trusted_browser(
        request, user, view.policy.remember_browser_days
    )
    if has_second_factor and not trusted:
        request.session.cycle_key()
        request.session[SESSION_PENDING_USER] = user.pk
        request.session[SESSION_PENDING_SINCE] = clock.now().timestamp()
        request.session[SESSION_NEXT] = next_url
        record_event(AuditEvent.Kind.PASSWORD_ACCEPTED, user=user, request=request)
        return True
    request.session[SESSION_NEXT] = next_url
    complete_sign_in(request, user, amr=["pwd"], trusted_browser=trusted, view=view)
    return False


def pending_user(request: HttpRequest) -> User | None:
    """The user who gave the right password and still owes the second step."""
    user_id = request.session.get(SESSION_PENDING_USER)
    since = request.session.get(SESSION_PENDING_SINCE)
    if user_id is None or since is None:
        return None
    if clock.now().timestamp() - float(since) > PENDING_SECONDS:
        abandon_second_step(request)
        return None
    return User.objects.filter(pk=user_id, is_active=True).first()


def abandon_second_step(request: HttpRequest) -> None:
    for key in (SESSION_PENDING_USER, SESSION_PENDING_SINCE, SESSION_NEXT):
        request.session.pop(key, None)


def complete_sign_in(
    request: HttpRequest,
    user: User,
    *,
    amr: list[str],
    method: RegisteredMethod | None = None,
    trusted_browser: bool = False,
    view: UserPolicy | None = None,
) -> str:
    """Start the signed-in session; returns where to go next."""
    next_url = request.session.get(SESSION_NEXT, "")
    abandon_second_step(request)
    login(request, user, backend="twofold.accounts.backends.PrincipalNameBackend")
    mark_familiar(request, user.username)
    now = clock.now()
    request.session[SESSION_IP] = client_ip(request)
    request.session[SESSION_USER_AGENT] = user_agent(request)
    request.session[SESSION_SIGNED_IN_AT] = now.isoformat()
    request.session[SESSION_AMR] = amr
    if method is not None:
        request.session[SESSION_VERIFIED_AT] = now.timestamp()
    interrupt = interrupt_for(user, view)
    if interrupt:
        request.session[SESSION_INTERRUPT] = interrupt
        request.session[SESSION_NEXT] = next_url  # where the wizard sends the user after
    record_event(
        AuditEvent.Kind.SIGNIN_SUCCEEDED,
        user=user,
        request=request,
        amr=amr,
        trusted_browser=trusted_browser,
    )
    return next_url


def _refusal_audit_kind(result: SignInResult) -> AuditEvent.Kind:
    if result.outcome == Outcome.LOCKED and not result.newly_locked:
        return AuditEvent.Kind.SIGNIN_REFUSED_LOCKED
    return {
        Outcome.THROTTLED: AuditEvent.Kind.SIGNIN_THROTTLED,
        Outcome.INCORRECT: AuditEvent.Kind.SIGNIN_FAILED,
        Outcome.LOCKED: AuditEvent.Kind.ACCOUNT_LOCKED,
        Outcome.DISABLED: AuditEvent.Kind.SIGNIN_REFUSED_DISABLED,
    }[result.outcome]


def sign_out(request: HttpRequest) -> None:
    user = request.user if request.user.is_authenticated else None
    logout(request)
    if user is not None:
        record_event(AuditEvent.Kind.SIGNED_OUT, user=user, request=request)

"""Password sign-in: lockout, throttling, timing and audit around one password check."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import login, logout
from django.http import HttpRequest

from twofold.accounts.passwords_check import Outcome, SignInResult, verify_password
from twofold.accounts.sessions import SESSION_IP, SESSION_SIGNED_IN_AT, SESSION_USER_AGENT
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock, metrics, ratelimit
from twofold.core.network import client_ip, user_agent

IP_WINDOW_SECONDS = 15 * 60


def sign_in_with_password(request: HttpRequest, principal_name: str, password: str) -> SignInResult:
    ip = client_ip(request)
    limit = settings.TWOFOLD_LOCKOUT["ip_failure_limit"]
    # Password spraying: one address trying many names is stopped here even
    # though no single name reaches its lockout threshold.
    if ratelimit.hits("signin-ip", ip) >= limit:
        record_event(
            AuditEvent.Kind.SIGNIN_THROTTLED, principal_name=principal_name, request=request
        )
        metrics.SIGNIN_ATTEMPTS.labels(Outcome.THROTTLED).inc()
        return SignInResult(Outcome.THROTTLED, retry_after_seconds=IP_WINDOW_SECONDS)

    result = verify_password(principal_name, password)
    metrics.SIGNIN_ATTEMPTS.labels(result.outcome).inc()
    if result.outcome == Outcome.ACCEPTED:
        assert result.user is not None
        login(request, result.user, backend="twofold.accounts.backends.PrincipalNameBackend")
        request.session[SESSION_IP] = ip
        request.session[SESSION_USER_AGENT] = user_agent(request)
        request.session[SESSION_SIGNED_IN_AT] = clock.now().isoformat()
    elif result.outcome in (Outcome.INCORRECT, Outcome.LOCKED):
        ratelimit.count_hit("signin-ip", ip, IP_WINDOW_SECONDS)
    details = (
        {"retry_after_seconds": result.retry_after_seconds} if result.retry_after_seconds else {}
    )
    record_event(
        _audit_kind(result),
        user=result.user,
        principal_name=principal_name,
        request=request,
        **details,
    )
    return result


def _audit_kind(result: SignInResult) -> AuditEvent.Kind:
    if result.outcome == Outcome.LOCKED and not result.newly_locked:
        return AuditEvent.Kind.SIGNIN_REFUSED_LOCKED
    return {
        Outcome.ACCEPTED: AuditEvent.Kind.SIGNIN_SUCCEEDED,
        Outcome.INCORRECT: AuditEvent.Kind.SIGNIN_FAILED,
        Outcome.LOCKED: AuditEvent.Kind.ACCOUNT_LOCKED,
        Outcome.DISABLED: AuditEvent.Kind.SIGNIN_REFUSED_DISABLED,
    }[result.outcome]


def sign_out(request: HttpRequest) -> None:
    user = request.user if request.user.is_authenticated else None
    logout(request)
    if user is not None:
        record_event(AuditEvent.Kind.SIGNED_OUT, user=user, request=request)

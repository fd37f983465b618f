"""Recent activity: a person's own sign-ins and security info changes, and "This wasn't me".

What an entry shows is built here from the audit row's facts, never from its raw details:
the details may hold things a person must not see again (a gateway's error text, a typed
name), so only the fields below are read, and methods describe themselves (masked numbers
and addresses) through their own interface.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.contrib.auth import update_session_auth_hash
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext as _

from twofold.accounts.models import User
from twofold.accounts.services import revoke_sessions
from twofold.audit.models import AuditEvent
from twofold.core import clock
from twofold.core.useragents import parse_user_agent
from twofold.fraud.services import has_open_fraud_alert, report_fraud
from twofold.methods.models import RegisteredMethod
from twofold.methods.purposes import Purpose
from twofold.methods.registry import all_methods, get_method
from twofold.oidc.services import revoke_app_sign_ins
from twofold.signin.trusted import forget_browsers

WINDOW_DAYS = 30
PAGE_SIZE = 20
# The fraud alert's source, as the admin and the administrators' email show it.
FRAUD_SOURCE = "recent_activity"
# Set when "This wasn't me" was pressed, so the next page can say what was done (unix time).
SESSION_REPORTED_AT = "twofold_activity_reported_at"
# How long that page keeps offering the password change before it sends the person back.
REPORTED_PAGE_SECONDS = 15 * 60

Kind = AuditEvent.Kind

SIGN_IN_KINDS = frozenset(
    {
        Kind.SIGNIN_SUCCEEDED,
        Kind.SIGNIN_FAILED,
        Kind.SIGNIN_REFUSED_LOCKED,
        Kind.SIGNIN_REFUSED_DISABLED,
        Kind.SIGNIN_THROTTLED,
        Kind.ACCOUNT_LOCKED,
        Kind.MFA_SUCCEEDED,
        Kind.MFA_FAILED,
        Kind.MFA_LOCKED,
        Kind.OIDC_APP_SIGNIN,
    }
)
CHANGE_KINDS = frozenset(
    {
        Kind.METHOD_REGISTERED,
        Kind.METHOD_DELETED,
        Kind.DEFAULT_METHOD_CHANGED,
        Kind.PUSH_DEVICE_ACTIVATED,
        Kind.SECURITY_INFO_CONFIRMED,
        Kind.REREGISTRATION_REQUIRED,
        Kind.PASSWORD_CHANGED,
        Kind.PASSWORD_SET_BY_ADMIN,
        Kind.PASSWORD_RESET,
        Kind.APP_PASSWORD_CREATED,
        Kind.APP_PASSWORD_DELETED,
        Kind.TRUSTED_BROWSER_ADDED,
        Kind.FRAUD_REPORTED,
    }
)
SHOWN_KINDS = SIGN_IN_KINDS | CHANGE_KINDS


@dataclass(frozen=True)
class ActivityEntry:
    event_id: int
    occurred_at: dt.datetime
    what: str
    app: str
    browser: str
    system: str
    ip_address: str
    location: str
    method: str
    succeeded: bool
    outcome: str
    reportable: bool
    reported: bool  # "This wasn't me" was pressed on it already


def recent_events(user: User) -> QuerySet[AuditEvent]:
    """The user's own sign-ins and changes of the last WINDOW_DAYS days, newest first."""
    since = clock.now() - dt.timedelta(days=WINDOW_DAYS)
    return AuditEvent.objects.filter(
        user=user, kind__in=SHOWN_KINDS, occurred_at__gte=since
    ).order_by("-occurred_at", "-id")


def describe_events(user: User, events: list[AuditEvent]) -> list[ActivityEntry]:
    method_ids = {
        event.details.get("method_id")
        for event in events
        if isinstance(event.details, dict) and isinstance(event.details.get("method_id"), int)
    }
    registered = {
        method.pk: method
        for method in RegisteredMethod.objects.filter(user=user, pk__in=method_ids)
    }
    reported = set(
        AuditEvent.objects.filter(
            user=user,
            kind=Kind.FRAUD_REPORTED,
            occurred_at__gte=clock.now() - dt.timedelta(days=WINDOW_DAYS),
        ).values_list("details__reported_event", flat=True)
    )
    return [_describe(event, registered, event.pk in reported) for event in events]


_WHAT = {
    Kind.SIGNIN_SUCCEEDED: lambda: _("Sign-in"),
    Kind.SIGNIN_FAILED: lambda: _("Sign-in"),
    Kind.SIGNIN_REFUSED_LOCKED: lambda: _("Sign-in"),
    Kind.SIGNIN_REFUSED_DISABLED: lambda: _("Sign-in"),
    Kind.SIGNIN_THROTTLED: lambda: _("Sign-in"),
    Kind.ACCOUNT_LOCKED: lambda: _("Sign-in"),
    Kind.MFA_SUCCEEDED: lambda: _("Verification"),
    Kind.MFA_FAILED: lambda: _("Verification"),
    Kind.MFA_LOCKED: lambda: _("Verification"),
    Kind.OIDC_APP_SIGNIN: lambda: _("Sign-in to an app"),
    Kind.METHOD_REGISTERED: lambda: _("Security info added"),
    Kind.METHOD_DELETED: lambda: _("Security info deleted"),
    Kind.DEFAULT_METHOD_CHANGED: lambda: _("Default sign-in method changed"),
    Kind.PUSH_DEVICE_ACTIVATED: lambda: _("Authenticator app activated"),
    Kind.SECURITY_INFO_CONFIRMED: lambda: _("Security info confirmed"),
    Kind.REREGISTRATION_REQUIRED: lambda: _("Security info cleared by an administrator"),
    Kind.PASSWORD_CHANGED: lambda: _("Password changed"),
    Kind.PASSWORD_SET_BY_ADMIN: lambda: _("Password set by an administrator"),
    Kind.PASSWORD_RESET: lambda: _("Password reset"),
    Kind.APP_PASSWORD_CREATED: lambda: _("App password created"),
    Kind.APP_PASSWORD_DELETED: lambda: _("App password deleted"),
    Kind.TRUSTED_BROWSER_ADDED: lambda: _("Browser remembered"),
    Kind.FRAUD_REPORTED: lambda: _("Reported as not you"),
}

_FAILURES = {
    Kind.SIGNIN_FAILED: lambda: _("Wrong password"),
    Kind.ACCOUNT_LOCKED: lambda: _("Wrong password; sign-in locked for a while"),
    Kind.SIGNIN_REFUSED_LOCKED: lambda: _("Locked out after too many wrong passwords"),
    Kind.SIGNIN_REFUSED_DISABLED: lambda: _("Account disabled"),
    Kind.SIGNIN_THROTTLED: lambda: _("Too many attempts from this network address"),
    Kind.MFA_FAILED: lambda: _("Verification failed"),
    Kind.MFA_LOCKED: lambda: _("Locked out after too many wrong codes"),
}

_PASSWORD_KINDS = {
    Kind.SIGNIN_FAILED,
    Kind.ACCOUNT_LOCKED,
    Kind.SIGNIN_REFUSED_LOCKED,
    Kind.SIGNIN_REFUSED_DISABLED,
    Kind.SIGNIN_THROTTLED,
    Kind.PASSWORD_CHANGED,
    Kind.PASSWORD_SET_BY_ADMIN,
    Kind.PASSWORD_RESET,
}


def _describe(
    event: AuditEvent, registered: dict[int, RegisteredMethod], reported: bool
) -> ActivityEntry:
    kind = Kind(event.kind)
    agent = parse_user_agent(event.user_agent)
    failure = _FAILURES.get(kind)
    details = event.details if isinstance(event.details, dict) else {}
    return ActivityEntry(
        event_id=event.pk,
        occurred_at=event.occurred_at,
        what=_WHAT[kind](),
        app=_app(kind, details),
        browser=agent.browser if event.user_agent else "",
        system=agent.system if event.user_agent else "",
        ip_address=event.ip_address or "",
        location=str(details.get("location", ""))[:100],
        method=_method(kind, details, registered),
        succeeded=failure is None,
        outcome=failure() if failure is not None else _purpose_outcome(kind, details),
        # Reporting a report would only raise the same alert again.
        reportable=kind != Kind.FRAUD_REPORTED,
        reported=reported,
    )


def _app(kind: Kind, details: dict[str, Any]) -> str:
    # Only the app's name as registered by an administrator, never anything the caller sent.
    if kind == Kind.OIDC_APP_SIGNIN and details.get("app"):
        return str(details["app"])
    return "Twofold"


def _purpose_outcome(kind: Kind, details: dict[str, Any]) -> str:
    if kind == Kind.MFA_SUCCEEDED:
        purpose = details.get("purpose")
        if purpose in Purpose.values:
            return _("Succeeded: %(purpose)s") % {"purpose": Purpose(purpose).label}
    return _("Succeeded")


def _method(kind: Kind, details: dict[str, Any], registered: dict[int, RegisteredMethod]) -> str:
    if kind in _PASSWORD_KINDS:
        return _("Password")
    if kind in (Kind.SIGNIN_SUCCEEDED, Kind.OIDC_APP_SIGNIN):
        return _sign_in_methods(details)
    if kind in (Kind.APP_PASSWORD_CREATED, Kind.APP_PASSWORD_DELETED):
        return _("App password")
    if kind == Kind.PUSH_DEVICE_ACTIVATED:
        # The app's own name for its device, chosen by the person: no contact in it.
        return str(details.get("device", ""))[:100]
    method = get_method(str(details.get("method", "")))
    if method is None:
        return ""
    name = str(method.name)
    row = registered.get(details["method_id"]) if "method_id" in details else None
    if row is not None:
        # The method's own description: masked numbers and addresses, as Security info shows.
        return f"{name}: {method.describe(row)}"
    return name


def _sign_in_methods(details: dict[str, Any]) -> str:
    amr = details.get("amr") or []
    names = [str(_("Password"))] if "pwd" in amr else []
    for value in amr:
        # Sign-in records the method's key; the ID token's RFC 8176 values are accepted too.
        method = get_method(str(value)) or next((m for m in all_methods() if m.amr == value), None)
        if method is not None and str(method.name) not in names:
            names.append(str(method.name))
    if details.get("trusted_browser"):
        names.append(str(_("remembered browser")))
    return ", ".join(names)


# --- "This wasn't me".


def find_reportable_event(user: User, event_id: int) -> AuditEvent | None:
    """One of the user's own shown entries; anyone else's (or an old one) is None."""
    event = recent_events(user).filter(pk=event_id).first()
    if event is None or event.kind == Kind.FRAUD_REPORTED:
        return None
    return event


@dataclass(frozen=True)
class Report:
    alert_raised: bool  # False when this entry had been reported already
    sessions_ended: int
    browsers_forgotten: int
    app_sign_ins_ended: int


def report_not_me(request: HttpRequest, user: User, event: AuditEvent) -> Report:
    """The person says an entry wasn't them: alert the administrators and sign out everywhere.

    What Entra does after "This wasn't me" is send the person to change their password while
    they are still signed in. That is what is safe here too: the fraud alert blocks every
    verification with security info (second step, step-up and the reset portal) until an
    administrator resolves it, so signing this browser out would leave someone with a second
    step no way back in but the administrator. This browser therefore goes on, under a new
    session key (a copy of its old cookie is dead), and changing the password still needs the
    current one: a thief holding only a session cookie can't take the account over this way.
    """
    with transaction.atomic():
        # The user's row lock queues repeated presses, so one entry raises one alert.
        User.objects.select_for_update().filter(pk=user.pk).first()
        already = AuditEvent.objects.filter(
            user=user, kind=Kind.FRAUD_REPORTED, details__reported_event=event.pk
        ).exists()
        if not already:
            report_fraud(
                user,
                source=FRAUD_SOURCE,
                request=request,
                reported_event=event.pk,
                reported_kind=event.kind,
            )
    # Every session, this one too: the generation bump also refuses copies a cache still holds.
    sessions = revoke_sessions(user)
    update_session_auth_hash(request, user)
    browsers = forget_browsers(user)
    apps = revoke_app_sign_ins(user)
    request.session[SESSION_REPORTED_AT] = clock.now().timestamp()
    return Report(
        alert_raised=not already,
        sessions_ended=max(0, sessions - 1),  # not counting this one, which goes on
        browsers_forgotten=browsers,
        app_sign_ins_ended=apps,
    )


def reported_recently(request: HttpRequest) -> bool:
    reported_at = request.session.get(SESSION_REPORTED_AT)
    if not isinstance(reported_at, int | float):
        return False
    return clock.now().timestamp() - reported_at <= REPORTED_PAGE_SECONDS


def finish_report(request: HttpRequest) -> None:
    request.session.pop(SESSION_REPORTED_AT, None)


def verification_blocked(user: User) -> bool:
    """Whether an open fraud alert stops this user's security info from verifying anything."""
    return has_open_fraud_alert(user) and RegisteredMethod.objects.filter(user=user).exists()

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from twofold.audit.models import AuditEvent
from twofold.core import metrics
from twofold.core.network import client_ip, proxy_location, user_agent


def record_event(
    kind: AuditEvent.Kind,
    *,
    user: Any = None,
    principal_name: str = "",
    actor: Any = None,
    request: HttpRequest | None = None,
    **details: Any,
) -> AuditEvent:
    """Write one audit event. Callers pass facts only, never a password or code."""
    if user is not None and not principal_name:
        principal_name = user.username
    location = proxy_location(request) if request is not None else ""
    if location and "location" not in details:
        details["location"] = location
    event = AuditEvent.objects.create(
        kind=kind,
        user=user,
        principal_name=_printable(principal_name)[:254],
        actor=actor,
        ip_address=client_ip(request) if request is not None else None,
        user_agent=user_agent(request) if request is not None else "",
        details=details,
    )
    metrics.AUDIT_EVENTS.labels(kind.value).inc()
    return event


def _printable(value: str) -> str:
    # Control characters in a typed name must not forge lines in exported logs.
    return "".join(ch if ch.isprintable() else "\ufffd" for ch in value)

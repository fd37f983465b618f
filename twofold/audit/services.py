from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest

from twofold.audit.models import AuditEvent
from twofold.core import metrics
from twofold.core.network import client_ip, proxy_location, user_agent


@dataclass(frozen=True)
class _Context:
    actor: Any
    request: HttpRequest | None
    details: dict[str, Any] = field(default_factory=dict)


# Who acts when a flow runs for a caller that is not a browser session (an API token): the
# flows record their events as usual, and each event names that caller.
_context: ContextVar[_Context | None] = ContextVar("audit_context", default=None)


@contextmanager
def acting_as(
    actor: Any = None, *, request: HttpRequest | None = None, **details: Any
) -> Iterator[None]:
    """Every event recorded inside names ``actor``, the request's address and ``details``."""
    token = _context.set(_Context(actor=actor, request=request, details=details))
    try:
        yield
    finally:
        _context.reset(token)


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
    context = _context.get()
    if context is not None:
        actor = actor if actor is not None else context.actor
        request = request if request is not None else context.request
        details = {**context.details, **details}
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

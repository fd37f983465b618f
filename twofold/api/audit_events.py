"""/api/v1/auditEvents: the audit log, newest first, paged by cursor."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router

from twofold.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, make_cursor, read_cursor
from twofold.api.schemas import AuditEventPage
from twofold.api.security import read_auth
from twofold.api.users import ERRORS, MAX_ID, next_link, text_problem
from twofold.audit.models import AuditEvent

router = Router(tags=["audit"])


def event_json(event: AuditEvent) -> dict[str, Any]:
    return {
        "id": str(event.pk),
        "kind": event.kind,
        "occurredDateTime": event.occurred_at,
        "userId": str(event.user_id) if event.user_id else None,
        "principalName": event.principal_name,
        "actorId": str(event.actor_id) if event.actor_id else None,
        "ipAddress": event.ip_address,
        "details": event.details,
    }


def _aware(moment: dt.datetime | None) -> dt.datetime | None:
    # A time without a zone is read as UTC, the zone the log is kept in.
    if moment is None or moment.tzinfo is not None:
        return moment
    return moment.replace(tzinfo=dt.UTC)


@router.get(
    "",
    response={200: AuditEventPage, **ERRORS},
    auth=read_auth,
    by_alias=True,
    exclude_none=True,
    summary="List audit events, newest first",
)
def list_audit_events(
    request: HttpRequest,
    userId: int | None = Query(None, ge=1, le=MAX_ID),
    kind: str | None = Query(None, max_length=64),
    since: dt.datetime | None = None,
    until: dt.datetime | None = None,
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, max_length=500),
) -> Any:
    if kind is not None and kind not in AuditEvent.Kind.values:
        if "\x00" in kind:
            return text_problem(request, "query.kind")
        detail = _("There is no event kind %(kind)s.") % {"kind": kind}
        return text_problem(request, "query.kind", detail)
    since, until = _aware(since), _aware(until)
    filters = {"userId": userId, "kind": kind, "since": since, "until": until}
    before = read_cursor("auditEvents", cursor, filters)
    events = AuditEvent.objects.order_by("-pk")
    if userId is not None:
        events = events.filter(user_id=userId)
    if kind is not None:
        events = events.filter(kind=kind)
    if since is not None:
        events = events.filter(occurred_at__gte=since)
    if until is not None:
        events = events.filter(occurred_at__lt=until)
    if before is not None:
        events = events.filter(pk__lt=before)
    page = list(events[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    following = make_cursor("auditEvents", page[-1].pk, filters) if more and page else None
    return {
        "value": [event_json(event) for event in page],
        "nextCursor": following,
        "@odata.nextLink": next_link(
            request,
            following,
            userId=userId,
            kind=kind,
            since=since.isoformat() if since else None,
            until=until.isoformat() if until else None,
            limit=limit,
        ),
    }

"""RFC 9457 problem details: the one shape of every error the REST API answers."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema

MEDIA_TYPE = "application/problem+json"


class FieldProblem(Schema):
    field: str
    detail: str


class Problem(Schema):
    type: str
    title: str
    status: int
    detail: str
    instance: str | None = None
    # For validation errors: each field at fault ("body.phoneNumber", "query.limit").
    errors: list[FieldProblem] | None = None


def problem(
    request: HttpRequest | None,
    status: int,
    code: str,
    title: str,
    detail: str,
    *,
    errors: list[dict[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    body: dict[str, Any] = {
        "type": f"urn:twofold:problem:{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path if request is not None else None,
    }
    if errors is not None:
        body["errors"] = errors
    response = HttpResponse(
        json.dumps(body, ensure_ascii=False), status=status, content_type=MEDIA_TYPE
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def unauthorised(request: HttpRequest) -> HttpResponse:
    # One answer for missing, malformed, unknown, expired and revoked tokens: a caller
    # probing tokens learns nothing about which of those it hit.
    return problem(
        request,
        401,
        "unauthorised",
        _("Not signed in"),
        _(
            "Send a valid API token as 'Authorization: Bearer <token>'. An administrator "
            "creates one with 'twofold apitoken create'."
        ),
        headers={"WWW-Authenticate": 'Bearer realm="twofold"'},
    )


def not_found(request: HttpRequest, detail: str | None = None) -> HttpResponse:
    return problem(
        request,
        404,
        "not-found",
        _("Not found"),
        detail or _("Nothing is at this address. Check the path and the id in it."),
    )


def generic(request: HttpRequest, status: int) -> HttpResponse:
    """A problem for a bare status (the safety net for answers made outside the API)."""
    if status == 404:
        return not_found(request)
    if status == 405:
        return problem(
            request,
            405,
            "method-not-allowed",
            _("Method not allowed"),
            _("This address doesn't take %(method)s. See /api/v1/docs for what it takes.")
            % {"method": request.method},
        )
    if status == 401:
        return unauthorised(request)
    if status == 403:
        return problem(request, 403, "forbidden", _("Forbidden"), _("This is not allowed."))
    if status >= 500:
        return problem(
            request,
            status,
            "server-error",
            _("Something went wrong"),
            _("Something went wrong on our side. Try again in a moment."),
        )
    return problem(
        request,
        status,
        "bad-request",
        _("Bad request"),
        _("The request could not be understood. See /api/v1/docs for what it takes."),
    )

"""The REST API at /api/v1/: token authentication, problem JSON for every error, audit."""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ObjectDoesNotExist
from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.openapi.schema import OpenAPISchema

from twofold.api import problems
from twofold.api.models import ApiToken
from twofold.api.pagination import BadCursor
from twofold.api.security import MissingScope, RateLimited
from twofold.audit.models import AuditEvent
from twofold.audit.services import acting_as, record_event

logger = logging.getLogger(__name__)


class TwofoldApi(NinjaAPI):
    def get_openapi_schema(self, **kwargs: Any) -> OpenAPISchema:
        schema = super().get_openapi_schema(**kwargs)
        # Errors are answered as problem JSON (RFC 9457): say so in the document.
        for path in schema.get("paths", {}).values():
            for operation in path.values():
                for status, response in operation.get("responses", {}).items():
                    content = response.get("content", {})
                    if str(status).startswith(("4", "5")) and "application/json" in content:
                        content[problems.MEDIA_TYPE] = content.pop("application/json")
        return schema


api = TwofoldApi(
    title="Twofold",
    version="1",
    description=(
        "Users, their security info (authentication methods) and the audit log, after "
        "Microsoft Graph's authentication methods API. Authenticate with "
        "'Authorization: Bearer <token>' (twofold apitoken create)."
    ),
    urls_namespace="api",
)


def _field(location: Any) -> str:
    parts = [str(part) for part in location]
    # ("body", "payload", "phoneNumber") names the body parameter: drop its Python name.
    if len(parts) > 2 and parts[0] == "body":
        del parts[1]
    return ".".join(parts)


@api.exception_handler(ValidationError)
def _validation_failed(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": _field(error.get("loc", ())), "detail": str(error.get("msg", ""))}
        for error in exc.errors
    ]
    first = errors[0] if errors else {"field": "", "detail": ""}
    return problems.problem(
        request,
        400,
        "validation-error",
        _("The request has a mistake"),
        _("%(field)s: %(detail)s") % first if first["field"] else first["detail"],
        errors=errors,
    )


@api.exception_handler(AuthenticationError)
def _not_authenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return problems.unauthorised(request)


@api.exception_handler(MissingScope)
def _missing_scope(request: HttpRequest, exc: MissingScope) -> HttpResponse:
    return problems.problem(
        request,
        403,
        "insufficient-scope",
        _("Not allowed for this token"),
        _("This token lacks the %(scope)s scope. Create a token with --scope %(scope)s.")
        % {"scope": exc.scope},
    )


@api.exception_handler(RateLimited)
def _rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
    return problems.problem(
        request,
        429,
        "rate-limited",
        _("Too many requests"),
        _("Too many requests. Wait %(seconds)d seconds, then try again.")
        % {"seconds": exc.retry_after_seconds},
        headers={"Retry-After": str(exc.retry_after_seconds)},
    )


@api.exception_handler(BadCursor)
def _bad_cursor(request: HttpRequest, exc: BadCursor) -> HttpResponse:
    return problems.problem(
        request,
        400,
        "validation-error",
        _("The request has a mistake"),
        exc.message,
        errors=[{"field": "query.cursor", "detail": exc.message}],
    )


@api.exception_handler(Http404)
def _not_found(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problems.not_found(request)


@api.exception_handler(ObjectDoesNotExist)
def _no_such_object(request: HttpRequest, exc: Exception) -> HttpResponse:
    return problems.not_found(request)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    return problems.generic(request, exc.status_code)


@api.exception_handler(Exception)
def _unexpected(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("REST API call failed")
    return problems.generic(request, 500)


def _audit_call(run: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Every call a token makes leaves an audit row, whatever its outcome."""

    @functools.wraps(run)
    def audited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = run(request, *args, **kwargs)
        token = getattr(request, "api_token", None)
        if isinstance(token, ApiToken):
            record_event(
                AuditEvent.Kind.API_CALL,
                actor=token.created_by,
                request=request,
                api_token=token.pk,
                method=request.method,
                path=request.path[:300],
                status=response.status_code,
            )
        return response

    return audited


def _act_as_token(view: Callable[..., Any]) -> Callable[..., Any]:
    """What the flows record during a call names the token (and whoever created it)."""

    @functools.wraps(view)
    def acting(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        token: ApiToken = request.auth  # type: ignore[attr-defined]
        with acting_as(token.created_by, request=request, api_token=token.pk):
            return view(request, *args, **kwargs)

    return acting


api.add_decorator(_audit_call, mode="view")
api.add_decorator(_act_as_token, mode="operation")

# The endpoints register themselves on the routers below when imported.
from twofold.api import audit_events, authentication, policies, users  # noqa: E402

api.add_router("/users", users.router)
api.add_router("/users", authentication.router)
api.add_router("/auditEvents", audit_events.router)
api.add_router("/policies", policies.router)

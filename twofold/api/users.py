"""/api/v1/users: the directory's users, read-only, paged by cursor."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Query, Router

from twofold.accounts.models import User
from twofold.accounts.principal_names import normalise_principal_name
from twofold.api import problems
from twofold.api.pagination import DEFAULT_LIMIT, MAX_LIMIT, make_cursor, read_cursor
from twofold.api.problems import Problem
from twofold.api.schemas import User as UserOut
from twofold.api.schemas import UserPage
from twofold.api.security import read_auth

router = Router(tags=["users"])

ERRORS: dict[int, Any] = {status: Problem for status in (400, 401, 403, 404, 429)}
MAX_ID = 2**53


def user_json(user: User) -> dict[str, Any]:
    return {
        "id": str(user.pk),
        "userPrincipalName": user.username,
        "displayName": user.display_name,
        "accountEnabled": user.is_active,
        "createdDateTime": user.date_joined,
    }


def find_user(user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def user_not_found(request: HttpRequest) -> HttpResponse:
    return problems.not_found(request, _("There is no user with this id."))


def next_link(request: HttpRequest, cursor: str | None, **params: Any) -> str | None:
    if cursor is None:
        return None
    query = {name: value for name, value in params.items() if value is not None}
    return request.build_absolute_uri(request.path + "?" + urlencode({**query, "cursor": cursor}))


def text_problem(request: HttpRequest, field: str, detail: str | None = None) -> HttpResponse:
    """A value refused; by default, for a NUL character, which PostgreSQL can't search for."""
    detail = detail or _("This may not contain a NUL character.")
    return problems.problem(
        request,
        400,
        "validation-error",
        _("The request has a mistake"),
        f"{field}: {detail}",
        errors=[{"field": field, "detail": detail}],
    )


@router.get(
    "",
    response={200: UserPage, **ERRORS},
    auth=read_auth,
    by_alias=True,
    exclude_none=True,
    summary="List users",
)
def list_users(
    request: HttpRequest,
    startsWith: str | None = Query(None, max_length=254, description="Sign-in name prefix"),
    limit: int = Query(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT),
    cursor: str | None = Query(None, max_length=500),
) -> Any:
    if startsWith and "\x00" in startsWith:
        return text_problem(request, "query.startsWith")
    prefix = normalise_principal_name(startsWith or "")
    filters = {"startsWith": prefix}
    after = read_cursor("users", cursor, filters)
    users = User.objects.order_by("pk")
    if prefix:
        users = users.filter(username__startswith=prefix)
    if after is not None:
        users = users.filter(pk__gt=after)
    page = list(users[: limit + 1])
    more = len(page) > limit
    page = page[:limit]
    following = make_cursor("users", page[-1].pk, filters) if more and page else None
    return {
        "value": [user_json(user) for user in page],
        "nextCursor": following,
        "@odata.nextLink": next_link(request, following, startsWith=startsWith, limit=limit),
    }


@router.get(
    "/{user_id}",
    response={200: UserOut, **ERRORS},
    auth=read_auth,
    by_alias=True,
    exclude_none=True,
    summary="Get a user",
)
def get_user(request: HttpRequest, user_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = find_user(user_id)
    if user is None:
        return user_not_found(request)
    return user_json(user)

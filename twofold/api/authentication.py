"""/api/v1/users/{id}/authentication/...: a user's security info, after Microsoft Graph.

Every change goes through the flows the Security info page uses (methods.flows); which
collection a method is in, its Graph type and what an administrator may add are declared
by each method (methods.base), so nothing here depends on a method's kind.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Path, Router, Status

from twofold.accounts.models import User
from twofold.api import problems
from twofold.api.schemas import (
    AuthenticationMethod,
    AuthenticationMethodList,
    NewEmailMethod,
    NewPhoneMethod,
    SignInPreferences,
    SignInPreferencesChange,
)
from twofold.api.security import read_auth, write_auth
from twofold.api.users import ERRORS, MAX_ID, find_user, user_not_found
from twofold.methods.base import SecurityMethod, VerificationFailed
from twofold.methods.flows import (
    add_method_for_user,
    delete_method,
    set_default_method,
    strongest_two_step,
)
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import all_methods, get_method
from twofold.policy.services import is_allowed

router = Router(tags=["authentication methods"])

ALL = "methods"


def collections() -> list[str]:
    return sorted({m.api_collection for m in all_methods() if m.api_collection})


def method_json(registered: RegisteredMethod, method: SecurityMethod) -> dict[str, Any]:
    # Only what the Security info page shows: a name, a masked detail, dates. Never data.
    return {
        "id": str(registered.pk),
        "@odata.type": method.api_type,
        "methodType": method.key,
        "displayName": str(method.name),
        "detail": method.describe(registered),
        "createdDateTime": registered.created_at,
        "lastUsedDateTime": registered.last_used_at,
        "isDefault": registered.is_default,
        **method.api_properties(registered),
    }


def _in_collection(method: SecurityMethod, collection: str) -> bool:
    return collection == ALL or method.api_collection == collection


def _registered(user: User, collection: str) -> list[tuple[RegisteredMethod, SecurityMethod]]:
    rows = []
    for registered in RegisteredMethod.objects.filter(user=user).order_by("created_at", "pk"):
        method = get_method(registered.kind)
        if method is not None and _in_collection(method, collection):
            rows.append((registered, method))
    return rows


def _find(user: User, collection: str, method_id: int) -> tuple[RegisteredMethod, SecurityMethod]:
    for registered, method in _registered(user, collection):
        if registered.pk == method_id:
            return registered, method
    raise LookupError(method_id)


def _method_not_found(request: HttpRequest) -> HttpResponse:
    return problems.not_found(request, _("This user has no such authentication method."))


def _field_problem(request: HttpRequest, field: str, detail: str) -> HttpResponse:
    return problems.problem(
        request,
        400,
        "validation-error",
        _("The request has a mistake"),
        f"{field}: {detail}",
        errors=[{"field": field, "detail": detail}],
    )


def _add_collection_routes(collection: str) -> None:
    base = f"/{{user_id}}/authentication/{collection}"

    def list_methods(request: HttpRequest, user_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
        user = find_user(user_id)
        if user is None:
            return user_not_found(request)
        return {"value": [method_json(r, m) for r, m in _registered(user, collection)]}

    def get_one(
        request: HttpRequest,
        user_id: int = Path(..., ge=1, le=MAX_ID),
        method_id: int = Path(..., ge=1, le=MAX_ID),
    ) -> Any:
        user = find_user(user_id)
        if user is None:
            return user_not_found(request)
        try:
            return method_json(*_find(user, collection, method_id))
        except LookupError:
            return _method_not_found(request)

    def delete_one(
        request: HttpRequest,
        user_id: int = Path(..., ge=1, le=MAX_ID),
        method_id: int = Path(..., ge=1, le=MAX_ID),
    ) -> Any:
        user = find_user(user_id)
        if user is None:
            return user_not_found(request)
        try:
            registered, _method = _find(user, collection, method_id)
        except LookupError:
            return _method_not_found(request)
        # The Security info page's flow: audit, and a new default when this was the default.
        if not delete_method(user, registered.pk):
            return _method_not_found(request)
        return Status(204, None)

    operations: list[tuple[str, str, Callable[..., Any], Any, dict[int, Any], str]] = [
        (base, "GET", list_methods, read_auth, {200: AuthenticationMethodList}, "list"),
        (f"{base}/{{method_id}}", "GET", get_one, read_auth, {200: AuthenticationMethod}, "get"),
        (f"{base}/{{method_id}}", "DELETE", delete_one, write_auth, {204: None}, "delete"),
    ]
    for path, http_method, view, auth, ok, verb in operations:
        name = f"{verb}_{collection}"
        view.__name__ = name
        router.add_api_operation(
            path,
            [http_method],
            view,
            auth=auth,
            response={**ok, **ERRORS},
            by_alias=True,
            exclude_none=True,
            operation_id=name,
            url_name=f"api_{name}",
            summary=f"{verb.capitalize()} {collection}",
        )


def _create(
    request: HttpRequest, user_id: int, collection: str, adds_as: str | None, value: str, field: str
) -> Any:
    user = find_user(user_id)
    if user is None:
        return user_not_found(request)
    addable = [m for m in all_methods() if m.api_collection == collection and m.admin_adds_as]
    chosen = next((m for m in addable if adds_as is None or m.admin_adds_as == adds_as), None)
    if chosen is None:
        kinds = ", ".join(sorted(str(m.admin_adds_as) for m in addable))
        return _field_problem(
            request,
            "body.phoneType" if adds_as is not None else field,
            _("Use one of: %(kinds)s.") % {"kinds": kinds},
        )
    if not is_allowed(user, chosen.key):
        return problems.problem(
            request,
            403,
            "not-allowed-by-policy",
            _("Not allowed by policy"),
            _("The authentication methods policy doesn't allow %(method)s for this user.")
            % {"method": chosen.name},
        )
    try:
        registered = add_method_for_user(user, chosen, value)
    except VerificationFailed as refused:
        return _field_problem(request, field, refused.message)
    return Status(201, method_json(registered, chosen))


CREATED: dict[int, Any] = {201: AuthenticationMethod, **ERRORS}


@router.post(
    "/{user_id}/authentication/phoneMethods",
    response=CREATED,
    auth=write_auth,
    by_alias=True,
    exclude_none=True,
    summary="Add a phone number to a user's security info",
)
def create_phone_method(
    request: HttpRequest, payload: NewPhoneMethod, user_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    return _create(
        request,
        user_id,
        "phoneMethods",
        payload.phoneType,
        payload.phoneNumber,
        "body.phoneNumber",
    )


@router.post(
    "/{user_id}/authentication/emailMethods",
    response=CREATED,
    auth=write_auth,
    by_alias=True,
    exclude_none=True,
    summary="Add an email address to a user's security info (for password reset)",
)
def create_email_method(
    request: HttpRequest, payload: NewEmailMethod, user_id: int = Path(..., ge=1, le=MAX_ID)
) -> Any:
    return _create(
        request, user_id, "emailMethods", None, payload.emailAddress, "body.emailAddress"
    )


def _preferences(user: User) -> dict[str, Any]:
    default = RegisteredMethod.objects.filter(user=user, is_default=True).first()
    method = get_method(default.kind) if default is not None else None
    return {
        "userPreferredMethodForSecondaryAuthentication": method.api_preference if method else None,
        "defaultMethodId": str(default.pk) if default is not None else None,
        "isSystemPreferredAuthenticationMethodEnabled": False,
    }


@router.get(
    "/{user_id}/authentication/signInPreferences",
    response={200: SignInPreferences, **ERRORS},
    auth=read_auth,
    exclude_none=True,
    summary="Get a user's default sign-in method",
)
def get_sign_in_preferences(request: HttpRequest, user_id: int = Path(..., ge=1, le=MAX_ID)) -> Any:
    user = find_user(user_id)
    if user is None:
        return user_not_found(request)
    return _preferences(user)


@router.patch(
    "/{user_id}/authentication/signInPreferences",
    response={200: SignInPreferences, **ERRORS},
    auth=write_auth,
    exclude_none=True,
    summary="Change a user's default sign-in method",
)
def update_sign_in_preferences(
    request: HttpRequest,
    payload: SignInPreferencesChange,
    user_id: int = Path(..., ge=1, le=MAX_ID),
) -> Any:
    user = find_user(user_id)
    if user is None:
        return user_not_found(request)
    if payload.defaultMethodId is not None:
        field = "body.defaultMethodId"
        wanted = payload.defaultMethodId
        target = int(wanted) if wanted.isascii() and wanted.isdigit() else None
    elif payload.userPreferredMethodForSecondaryAuthentication is not None:
        field = "body.userPreferredMethodForSecondaryAuthentication"
        preference = payload.userPreferredMethodForSecondaryAuthentication
        candidates = [
            registered
            for registered, method in _registered(user, ALL)
            if method.api_preference == preference
        ]
        chosen = strongest_two_step(candidates)
        target = chosen.pk if chosen is not None else None
    else:
        return _field_problem(
            request,
            "body",
            _("Give defaultMethodId or userPreferredMethodForSecondaryAuthentication."),
        )
    # The Security info page's flow: only a two-step method of the user's own, audited.
    if target is None or not set_default_method(user, target):
        return _field_problem(
            request, field, _("This user has no such method that can be a default sign-in method.")
        )
    return _preferences(user)


# Per-kind collections first, then every method under /methods.
for _collection in [*collections(), ALL]:
    _add_collection_routes(_collection)

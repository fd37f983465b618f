"""Familiar devices: a signed cookie naming the accounts that completed sign-in on a browser.

Smart lockout counts failures from a familiar device apart from everyone else's, so a
stranger who locks an account by guessing does not lock its owner out of their own browser.
"""

from __future__ import annotations

import secrets
from typing import Any

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from twofold.accounts import lockout
from twofold.core.network import client_ip
from twofold.signin.trusted import remembered_browser_id

COOKIE_DAYS = 90
# A shared computer may be familiar to a few accounts; the oldest is forgotten first.
MAX_NAMES = 5
_SALT = "twofold.signin.familiar-device"
_REQUEST_ATTRIBUTE = "twofold_familiar_name"


def cookie_name() -> str:
    # Same prefix rule as the session cookie: __Host- only where cookies are Secure.
    prefix = "__Host-" if settings.SESSION_COOKIE_SECURE else ""
    return f"{prefix}twofold_device"


def _tag(principal_name: str) -> str:
    # A keyed digest, so the cookie does not show which accounts use this browser.
    return lockout.name_digest(principal_name)[:24]


def _payload(request: HttpRequest) -> dict[str, Any] | None:
    raw = request.COOKIES.get(cookie_name())
    if not raw:
        return None
    try:
        payload = signing.loads(raw, salt=_SALT, max_age=COOKIE_DAYS * 86400)
    except signing.BadSignature:
        return None
    if (
        not isinstance(payload, dict)
        or not isinstance(payload.get("d"), str)
        or not isinstance(payload.get("n"), list)
    ):
        return None
    return payload


def source_for(request: HttpRequest, principal_name: str) -> lockout.Source:
    """Where an attempt on this name comes from, for the lockout counters."""
    payload = _payload(request)
    if payload is not None and _tag(principal_name) in payload["n"]:
        return lockout.Source(address=client_ip(request), familiar_device=payload["d"])
    # A browser remembered with "Don't ask again" is familiar too.
    remembered = remembered_browser_id(request, principal_name)
    return lockout.Source(address=client_ip(request), familiar_device=remembered)


def mark_familiar(request: HttpRequest, principal_name: str) -> None:
    """Remember, on the response to this request, that the name signed in on this browser."""
    setattr(request, _REQUEST_ATTRIBUTE, principal_name)


def _write_cookie(request: HttpRequest, response: HttpResponse, principal_name: str) -> None:
    payload = _payload(request) or {"d": secrets.token_urlsafe(16), "n": []}
    tag = _tag(principal_name)
    names = [name for name in payload["n"] if name != tag][-(MAX_NAMES - 1) :]
    value = signing.dumps({"d": payload["d"], "n": [*names, tag]}, salt=_SALT)
    response.set_cookie(
        cookie_name(),
        value,
        max_age=COOKIE_DAYS * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


class FamiliarDeviceMiddleware:
    """Sets the familiar-device cookie on the response that completed a sign-in."""

    def __init__(self, get_response: Any) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        principal_name = getattr(request, _REQUEST_ATTRIBUTE, None)
        if principal_name:
            _write_cookie(request, response, principal_name)
        return response

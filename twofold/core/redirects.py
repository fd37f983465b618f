"""Where to send someone after a step: only to this site, never an open redirect."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest
from django.shortcuts import resolve_url
from django.utils.http import url_has_allowed_host_and_scheme


def safe_next(request: HttpRequest, default: str | None = None) -> str:
    """Only same-site paths are followed, so sign-in can't become an open redirect."""
    target = request.POST.get("next") or request.GET.get("next") or ""
    allowed = {request.get_host(), *settings.TWOFOLD_FORWARD_AUTH_HOSTS}
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts=allowed, require_https=request.is_secure()
    ):
        return target
    return resolve_url(settings.LOGIN_REDIRECT_URL) if default is None else default


RESEND = "resend"


def asks_to_resend(request: HttpRequest) -> bool:
    """A "Send another" link was followed: send once, then land on a URL without it."""
    return request.GET.get(RESEND) == "1"


def without_resend(request: HttpRequest) -> str:
    """This page's address without ``resend``, so reloading it sends nothing more."""
    query = request.GET.copy()
    query.pop(RESEND, None)
    return f"{request.path}?{query.urlencode()}" if query else request.path

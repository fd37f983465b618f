""" "Don't ask again for N days": a signed cookie naming a revocable TrustedBrowser row."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from django.conf import settings
from django.core import signing
from django.http import HttpRequest, HttpResponse

from twofold.accounts.models import User
from twofold.accounts.principal_names import normalise_principal_name
from twofold.core import clock
from twofold.core.network import user_agent
from twofold.signin.models import TrustedBrowser


def cookie_name() -> str:
    # Same prefix rule as the session cookie: __Host- only where cookies are Secure.
    prefix = "__Host-" if settings.SESSION_COOKIE_SECURE else ""
    return f"{prefix}twofold_trusted_browser"


_SALT = "twofold.signin.trusted-browser"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def remember_browser(request: HttpRequest, response: HttpResponse, user: User, days: int) -> None:
    token = secrets.token_urlsafe(32)
    expires = clock.now() + dt.timedelta(days=days)
    TrustedBrowser.objects.create(
        user=user, token_hash=_hash(token), user_agent=user_agent(request), expires_at=expires
    )
    value = signing.dumps({"u": user.pk, "t": token}, salt=_SALT)
    response.set_cookie(
        cookie_name(),
        value,
        max_age=days * 86400,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )


def _cookie(request: HttpRequest, max_days: int) -> tuple[int, str] | None:
    """The (user id, token hash) the remembered-browser cookie names, when its signature holds."""
    raw = request.COOKIES.get(cookie_name())
    if not raw or max_days <= 0:
        return None
    try:
        payload = signing.loads(raw, salt=_SALT, max_age=max_days * 86400)
    except signing.BadSignature:
        return None
    user_id = payload.get("u") if isinstance(payload, dict) else None
    if not isinstance(user_id, int):
        return None
    return user_id, _hash(str(payload.get("t")))


def is_trusted_browser(request: HttpRequest, user: User, max_days: int) -> bool:
    cookie = _cookie(request, max_days)
    if cookie is None or cookie[0] != user.pk:
        return False
    return TrustedBrowser.objects.filter(
        user=user, token_hash=cookie[1], expires_at__gt=clock.now()
    ).exists()


def remembered_browser_id(request: HttpRequest, principal_name: str) -> str:
    """An id for this browser when it is remembered for the named account; else ""."""
    # The longest a browser can be remembered (policy: 1-365 days); the row's expiry decides.
    cookie = _cookie(request, 365)
    if cookie is None:
        return ""
    user_id, token_hash = cookie
    remembered = TrustedBrowser.objects.filter(
        user_id=user_id,
        user__username=normalise_principal_name(principal_name),
        token_hash=token_hash,
        expires_at__gt=clock.now(),
    ).exists()
    return f"remembered:{token_hash[:16]}" if remembered else ""


def forget_browsers(user: User) -> int:
    deleted, _ = TrustedBrowser.objects.filter(user=user).delete()
    return deleted


def forget_browsers_on_password_change(sender: object, user: User, **kwargs: object) -> None:
    # A new password ends every "don't ask again": a thief's browser must not skip the second step.
    forget_browsers(user)

"""Bearer-token authentication, scopes and the per-token rate limit of the REST API."""

from __future__ import annotations

import math
from typing import Any

from django.conf import settings
from django.http import HttpRequest
from ninja.security import HttpBearer

from twofold.api.models import ApiToken
from twofold.api.tokens import authenticate_token
from twofold.core import clock, ratelimit
from twofold.core.network import client_ip
from twofold.core.ratelimit import Limit, LimitReached


class MissingScope(Exception):
    def __init__(self, scope: str) -> None:
        super().__init__(scope)
        self.scope = scope


class RateLimited(Exception):
    def __init__(self, retry_after_seconds: int) -> None:
        super().__init__(retry_after_seconds)
        self.retry_after_seconds = retry_after_seconds


def _limits() -> dict[str, int]:
    return {"per_minute": 600, "bad_tokens_per_minute": 30, **settings.TWOFOLD_API_LIMITS}


def _take(limit: Limit) -> None:
    # Counted in the database (core.ratelimit): a cache outage must not lift the limit.
    try:
        ratelimit.take(limit)
    except LimitReached as reached:
        wait = (reached.retry_at - clock.now()).total_seconds() if reached.retry_at else 60
        raise RateLimited(max(1, math.ceil(wait))) from None


def grants(token: ApiToken, scope: str) -> bool:
    # Write includes read, as Graph's ReadWrite permissions include Read.
    if scope == ApiToken.Scope.READ:
        return bool({ApiToken.Scope.READ, ApiToken.Scope.WRITE} & set(token.scopes))
    return scope in token.scopes


class TokenAuth(HttpBearer):
    """Only the Authorization header counts: a browser's session cookie never signs in here,
    so a page on another site can't make a signed-in admin's browser call the API (CSRF)."""

    def __init__(self, scope: str) -> None:
        super().__init__()
        self.scope = scope

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        limits = _limits()
        address = client_ip(request)
        # Probing for tokens: an address sending bad ones is held back before any lookup.
        if ratelimit.hits("api-bad-token", address) >= limits["bad_tokens_per_minute"]:
            raise RateLimited(60)
        found = authenticate_token(token)
        if found is None:
            _take(Limit("api-bad-token", address, 60, limits["bad_tokens_per_minute"]))
            return None
        _take(Limit("api-token", str(found.pk), 60, limits["per_minute"]))
        # Known from here on, so the call is audited even when the scope refuses it (calls
        # over the limit are not: the limit bounds the audit rows a token can write, too).
        request.api_token = found  # type: ignore[attr-defined]
        if not grants(found, self.scope):
            raise MissingScope(self.scope)
        return found


read_auth = TokenAuth(ApiToken.Scope.READ)
write_auth = TokenAuth(ApiToken.Scope.WRITE)

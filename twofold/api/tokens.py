"""API tokens: created by administrators, scoped, expiring, revocable, stored as keyed digests."""

from __future__ import annotations

import datetime as dt
import hmac
import re
import secrets
from collections.abc import Iterable

from django.db import transaction

from twofold.accounts.models import User
from twofold.api.models import ApiToken
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock
from twofold.core.keyed_hash import keyed_digest

# Recognisable in logs and by secret scanners: "tfa_" + lookup id + "_" + secret.
PREFIX = "tfa_"
LOOKUP_ID_LENGTH = 12
SECRET_BYTES = 32
_SHAPE = re.compile(rf"{PREFIX}([0-9a-f]{{{LOOKUP_ID_LENGTH}}})_[A-Za-z0-9_-]{{43}}")
_PURPOSE = b"api-token"
# Compared against when no token has the lookup id, so unknown ids cost the same work.
_NO_TOKEN_DIGEST = "0" * 64

MAX_LIFETIME = dt.timedelta(days=730)
_DURATION = re.compile(r"(\d{1,4})([hdw])")
_UNITS = {"h": "hours", "d": "days", "w": "weeks"}


class TokenRefused(Exception):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_lifetime(text: str) -> dt.timedelta:
    """'12h', '90d' or '8w'; at most MAX_LIFETIME, so no token is forgotten forever."""
    match = _DURATION.fullmatch(text.strip().lower())
    if not match:
        raise TokenRefused(f"Give the lifetime as hours, days or weeks, e.g. 90d (not {text!r}).")
    lifetime = dt.timedelta(**{_UNITS[match.group(2)]: int(match.group(1))})
    if not dt.timedelta(hours=1) <= lifetime <= MAX_LIFETIME:
        raise TokenRefused("A token lives between 1 hour and 730 days.")
    return lifetime


def _digest(raw: str) -> str:
    return keyed_digest(_PURPOSE, raw)


def create_token(
    name: str,
    scopes: Iterable[str],
    *,
    lifetime: dt.timedelta | None = None,
    created_by: User | None = None,
) -> tuple[ApiToken, str]:
    """The new token and its secret, which is never shown or stored again."""
    name = name.strip()
    if not name or len(name) > 100:
        raise TokenRefused("Give the token a name of 1 to 100 characters.")
    chosen = sorted(set(scopes))
    unknown = [scope for scope in chosen if scope not in ApiToken.Scope.values]
    if unknown or not chosen:
        raise TokenRefused("Give one or more scopes of: " + ", ".join(ApiToken.Scope.values) + ".")
    with transaction.atomic():
        lookup_id = secrets.token_hex(LOOKUP_ID_LENGTH // 2)
        raw = f"{PREFIX}{lookup_id}_{secrets.token_urlsafe(SECRET_BYTES)}"
        token = ApiToken.objects.create(
            name=name,
            lookup_id=lookup_id,
            digest=_digest(raw),
            scopes=chosen,
            created_by=created_by,
            expires_at=clock.now() + lifetime if lifetime else None,
        )
        record_event(
            AuditEvent.Kind.API_TOKEN_CREATED,
            actor=created_by,
            api_token=token.pk,
            name=token.name,
            scopes=chosen,
        )
    return token, raw


def revoke_token(token_id: int, *, actor: User | None = None) -> bool:
    with transaction.atomic():
        token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
        if token is None or token.revoked_at is not None:
            return False
        token.revoked_at = clock.now()
        token.save(update_fields=["revoked_at"])
        record_event(
            AuditEvent.Kind.API_TOKEN_REVOKED, actor=actor, api_token=token.pk, name=token.name
        )
    return True


def authenticate_token(raw: str) -> ApiToken | None:
    """The live token ``raw`` is, or None: unknown, malformed, expired and revoked alike."""
    match = _SHAPE.fullmatch(raw)
    if match is None:
        return None
    token = ApiToken.objects.filter(lookup_id=match.group(1)).first()
    # Always one constant-time compare, found or not: the time taken says nothing.
    expected = token.digest if token is not None else _NO_TOKEN_DIGEST
    if not hmac.compare_digest(expected, _digest(raw)) or token is None:
        return None
    now = clock.now()
    if token.revoked_at is not None or (token.expires_at is not None and token.expires_at <= now):
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    token.last_used_at = now
    return token


def is_live(token: ApiToken, now: dt.datetime) -> bool:
    return token.revoked_at is None and (token.expires_at is None or token.expires_at > now)

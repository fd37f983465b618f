from __future__ import annotations

import datetime as dt
import hmac
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.conftest import FrozenClock
from twofold.api import tokens
from twofold.api.models import ApiToken
from twofold.api.tokens import (
    TokenRefused,
    authenticate_token,
    create_token,
    parse_lifetime,
    revoke_token,
)
from twofold.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def test_token_is_stored_only_as_a_keyed_digest_and_found_by_its_lookup_id() -> None:
    token, raw = create_token("backup script", ["read"])
    stored = ApiToken.objects.get(pk=token.pk)
    assert raw.startswith(f"tfa_{stored.lookup_id}_")
    assert raw not in (stored.digest, stored.lookup_id)
    assert stored.digest != raw and len(stored.digest) == 64
    assert authenticate_token(raw) == stored


def test_token_check_uses_a_constant_time_compare_even_for_unknown_lookup_ids(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    create_token("script", ["read"])
    compared: list[tuple[str, str]] = []
    original = hmac.compare_digest

    def spy(a: str, b: str) -> bool:
        compared.append((a, b))
        return original(a, b)

    monkeypatch.setattr(tokens.hmac, "compare_digest", spy)
    assert authenticate_token("tfa_" + "0" * 12 + "_" + "A" * 43) is None
    assert len(compared) == 1


def test_wrong_secret_with_a_real_lookup_id_is_refused() -> None:
    _, raw = create_token("script", ["read"])
    forged = raw[:-4] + ("AAAA" if not raw.endswith("AAAA") else "BBBB")
    assert authenticate_token(forged) is None


@pytest.mark.parametrize(
    "raw", ["", "Bearer", "tfa_", "x" * 5000, "tfa_zzzzzzzzzzzz_" + "A" * 43, "\n"]
)
def test_malformed_tokens_are_refused(raw: str) -> None:
    assert authenticate_token(raw) is None


def test_a_token_with_a_trailing_newline_is_refused() -> None:
    _, raw = create_token("script", ["read"])
    assert authenticate_token(raw + "\n") is None


def test_expired_token_is_refused(clock: FrozenClock) -> None:
    _, raw = create_token("script", ["read"], lifetime=dt.timedelta(hours=1))
    assert authenticate_token(raw) is not None
    clock.advance(3600)
    assert authenticate_token(raw) is None


def test_revoked_token_is_refused_and_revocation_is_audited() -> None:
    token, raw = create_token("script", ["write"])
    assert revoke_token(token.pk)
    assert authenticate_token(raw) is None
    assert not revoke_token(token.pk)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.API_TOKEN_REVOKED)
    assert event.details["api_token"] == token.pk


def test_creation_is_audited_without_the_secret() -> None:
    token, raw = create_token("script", ["read", "write"])
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.API_TOKEN_CREATED)
    assert event.details == {"api_token": token.pk, "name": "script", "scopes": ["read", "write"]}
    assert raw not in str(event.details)


def test_use_updates_last_used(clock: FrozenClock) -> None:
    token, raw = create_token("script", ["read"])
    authenticate_token(raw)
    assert ApiToken.objects.get(pk=token.pk).last_used_at == clock.now()


@pytest.mark.parametrize("scopes", [[], ["admin"]])
def test_unknown_or_missing_scopes_are_refused(scopes: list[str]) -> None:
    with pytest.raises(TokenRefused):
        create_token("script", scopes)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("90d", dt.timedelta(days=90)),
        ("12h", dt.timedelta(hours=12)),
        ("8w", dt.timedelta(weeks=8)),
    ],
)
def test_lifetimes_parse(text: str, expected: dt.timedelta) -> None:
    assert parse_lifetime(text) == expected


@pytest.mark.parametrize("text", ["", "90", "0h", "731d", "1y", "-5d"])
def test_bad_lifetimes_are_refused(text: str) -> None:
    with pytest.raises(TokenRefused):
        parse_lifetime(text)


def test_cli_creates_lists_and_revokes(clock: FrozenClock) -> None:
    out = StringIO()
    call_command(
        "apitoken",
        "create",
        "--name",
        "nightly",
        "--scope",
        "read",
        "--scope",
        "write",
        "--expires-in",
        "90d",
        stdout=out,
    )
    raw = out.getvalue().split("token (shown once): ")[1].strip()
    token = authenticate_token(raw)
    assert token is not None and token.scopes == ["read", "write"]
    assert token.expires_at == clock.now() + dt.timedelta(days=90)

    listing = StringIO()
    call_command("apitoken", "list", stdout=listing)
    assert "nightly" in listing.getvalue() and "active" in listing.getvalue()
    assert raw not in listing.getvalue()

    call_command("apitoken", "revoke", str(token.pk), stdout=StringIO())
    assert authenticate_token(raw) is None
    with pytest.raises(CommandError):
        call_command("apitoken", "revoke", str(token.pk), stdout=StringIO())


def test_cli_token_made_for_an_administrator_names_them_in_the_audit_log(make_user, adele) -> None:
    admin = make_user("admin@contoso.example", is_admin=True)
    out = StringIO()
    call_command(
        "apitoken",
        "create",
        "--name",
        "x",
        "--scope",
        "read",
        "--created-by",
        "Admin@Contoso.example",
        stdout=out,
    )
    token = ApiToken.objects.get()
    assert token.created_by == admin
    assert AuditEvent.objects.get(kind=AuditEvent.Kind.API_TOKEN_CREATED).actor == admin
    with pytest.raises(CommandError):
        call_command(
            "apitoken",
            "create",
            "--name",
            "y",
            "--scope",
            "read",
            "--created-by",
            adele.username,
            stdout=StringIO(),
        )


def test_cli_refuses_a_bad_lifetime() -> None:
    with pytest.raises(CommandError):
        call_command(
            "apitoken",
            "create",
            "--name",
            "x",
            "--scope",
            "read",
            "--expires-in",
            "forever",
            stdout=StringIO(),
        )

"""Clients are managed by administrators only: `twofold oidcclient` and the admin."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from oauth2_provider.models import get_application_model

from tests.conftest import FrozenClock, sign_in, totp_code
from twofold.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

Application = get_application_model()


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("oidcclient", *args, stdout=out)
    return out.getvalue()


def test_cli_client_is_code_flow_rs256_with_post_logout_addresses(db: None) -> None:
    run(
        "add", "Wiki",
        "--redirect-uri", "https://wiki.contoso.example/cb",
        "--redirect-uri", "http://127.0.0.1/cb",
        "--post-logout-redirect-uri", "https://wiki.contoso.example/bye",
        "--post-logout-redirect-uri", "https://wiki.contoso.example/later",
    )  # fmt: skip
    app = Application.objects.get(name="Wiki")
    assert app.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert app.algorithm == Application.RS256_ALGORITHM
    assert app.post_logout_redirect_uris.split() == [
        "https://wiki.contoso.example/bye",
        "https://wiki.contoso.example/later",
    ]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.OIDC_CLIENT_ADDED).count() == 1


@pytest.mark.parametrize(
    ("uri", "message"),
    [
        ("javascript:alert(1)", "not an http"),
        ("http://wiki.contoso.example/cb", "must use https"),
        ("https://wiki.contoso.example/cb#frag", "fragment"),
        ("https://*.contoso.example/cb", "wildcard"),
        ("https://user:pw@wiki.contoso.example/cb", "user name or password"),
        ("https:///cb", "not an http"),
    ],
)
@pytest.mark.parametrize("option", ["--redirect-uri", "--post-logout-redirect-uri"])
def test_cli_refuses_unsafe_addresses(db: None, uri: str, message: str, option: str) -> None:
    args = ["add", "Bad", "--redirect-uri", "https://ok.example/cb", option, uri]
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not Application.objects.exists()


def test_cli_lists_grant_types_and_removes_by_name_or_client_id(db: None) -> None:
    run("add", "Wiki", "--redirect-uri", "https://wiki.contoso.example/cb")
    run("add", "Chat", "--redirect-uri", "https://chat.contoso.example/cb", "--public")
    Application.objects.create(
        name="Legacy",
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_PASSWORD,
    )
    listing = run("list")
    assert "authorization-code" in listing
    assert "password (refused: only authorization-code is served)" in listing
    assert "after sign-out: -" in listing
    run("remove", "Wiki")
    chat = Application.objects.get(name="Chat")
    run("remove", chat.client_id)
    assert list(Application.objects.values_list("name", flat=True)) == ["Legacy"]
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.OIDC_CLIENT_REMOVED).count() == 2
    with pytest.raises(CommandError, match="no app named"):
        run("remove", "Wiki")


def test_cli_refuses_a_second_app_with_the_same_name(db: None) -> None:
    run("add", "Wiki", "--redirect-uri", "https://wiki.contoso.example/cb")
    with pytest.raises(CommandError, match="exists already"):
        run("add", "Wiki", "--redirect-uri", "https://wiki.contoso.example/cb")


# --- The admin.

ADD_URL = "/admin/oauth2_provider/application/add/"


@pytest.fixture
def admin_browser(make_user, add_authenticator, clock: FrozenClock) -> Client:
    admin = make_user("boss@contoso.example", is_admin=True)
    _, secret = add_authenticator(admin)
    client = Client()
    sign_in(client, admin, secret, clock.now().timestamp())
    client.secret = secret  # type: ignore[attr-defined]
    return client


def client_form(**fields: str) -> dict[str, str]:
    return {
        "name": "Wiki",
        "client_id": "wiki-client",
        "client_type": Application.CLIENT_CONFIDENTIAL,
        "client_secret": "s" * 40,
        "redirect_uris": "https://wiki.contoso.example/cb",
        "post_logout_redirect_uris": "",
        "allowed_origins": "",
        **fields,
    }


def test_admin_client_changes_need_a_fresh_verification(
    admin_browser: Client, clock: FrozenClock
) -> None:
    assert admin_browser.get(ADD_URL).status_code == 200
    clock.advance(11 * 60)
    stale = admin_browser.get(ADD_URL)
    assert stale.status_code == 302
    assert (
        stale["Location"]
        == "/security-info/verify/?next=%2Fadmin%2Foauth2_provider%2Fapplication%2Fadd%2F"
    )
    refused = admin_browser.post(ADD_URL, client_form())
    assert refused["Location"].startswith("/security-info/verify/?next=")
    assert not Application.objects.exists()
    verified = admin_browser.post(
        stale["Location"],
        {"code": totp_code(admin_browser.secret, clock.now().timestamp())},  # type: ignore[attr-defined]
    )
    assert verified["Location"] == ADD_URL
    assert admin_browser.get("/admin/oauth2_provider/application/").status_code == 200
    created = admin_browser.post(ADD_URL, client_form())
    assert created.status_code == 302, created.content
    app = Application.objects.get(client_id="wiki-client")
    assert app.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert app.algorithm == Application.RS256_ALGORITHM
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.OIDC_CLIENT_ADDED)
    assert event.actor is not None and event.details["client_id"] == "wiki-client"


@pytest.mark.parametrize("field", ["redirect_uris", "post_logout_redirect_uris"])
def test_admin_refuses_unsafe_addresses(admin_browser: Client, field: str) -> None:
    response = admin_browser.post(ADD_URL, client_form(**{field: "http://wiki.contoso.example/x"}))
    assert response.status_code == 200
    assert b"must use https" in response.content
    assert not Application.objects.exists()


def test_admin_cannot_choose_another_grant_type(admin_browser: Client) -> None:
    admin_browser.post(ADD_URL, client_form(authorization_grant_type="password", algorithm="HS256"))
    app = Application.objects.get(client_id="wiki-client")
    assert app.authorization_grant_type == Application.GRANT_AUTHORIZATION_CODE
    assert app.algorithm == Application.RS256_ALGORITHM

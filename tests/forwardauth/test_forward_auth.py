from __future__ import annotations

import base64

import pytest
from django.test import Client, override_settings

from tests.conftest import DEFAULT_PASSWORD, FrozenClock, sign_in
from twofold.accounts.models import User
from twofold.apppasswords.services import create_app_password

pytestmark = pytest.mark.django_db


def basic(name: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()


def test_a_signed_in_browser_passes_with_who_it_is(
    adele: User, add_authenticator, clock: FrozenClock
) -> None:
    from django.contrib.auth.models import Group

    adele.groups.add(Group.objects.create(name="finance"))
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    response = client.get("/forward-auth")
    assert response.status_code == 200
    assert response["Remote-User"] == "adele@contoso.example"
    assert response["Remote-Name"] == "Adele Vance"
    assert response["Remote-Groups"] == "finance"
    assert "no-store" in response["Cache-Control"]


def test_password_alone_or_a_pending_wizard_does_not_pass(adele: User, add_authenticator) -> None:
    add_authenticator(adele)
    halfway = Client()
    halfway.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    assert halfway.get("/forward-auth").status_code == 401
    newcomer = User.objects.create_user("new@contoso.example", password=DEFAULT_PASSWORD)
    in_wizard = Client()
    in_wizard.post("/signin/", {"username": newcomer.username, "password": DEFAULT_PASSWORD})
    assert in_wizard.get("/forward-auth").status_code == 401


def test_an_app_password_over_basic_passes_but_the_account_password_does_not(adele: User) -> None:
    _record, password = create_app_password(adele, "script")
    ok = Client().get("/forward-auth", HTTP_AUTHORIZATION=basic(adele.username, password))
    assert ok.status_code == 200 and ok["Remote-User"] == adele.username
    refused = Client().get(
        "/forward-auth", HTTP_AUTHORIZATION=basic(adele.username, DEFAULT_PASSWORD)
    )
    assert refused.status_code == 401
    assert refused["WWW-Authenticate"].startswith('Basic realm="Twofold"')


@pytest.mark.parametrize(
    "header", ["Basic !!!", "Basic " + base64.b64encode(b"\xff\xfe").decode(), "Basic "]
)
def test_malformed_basic_headers_are_refused_cleanly(db: None, header: str) -> None:
    assert Client().get("/forward-auth", HTTP_AUTHORIZATION=header).status_code == 401


@override_settings(
    TWOFOLD_FORWARD_AUTH_HOSTS=["wiki.contoso.example"],
    TWOFOLD_PUBLIC_URL="https://id.contoso.example",
)
def test_traefik_style_requests_are_sent_to_sign_in_and_back(db: None) -> None:
    headers = {
        "HTTP_X_FORWARDED_METHOD": "GET",
        "HTTP_X_FORWARDED_PROTO": "https",
        "HTTP_X_FORWARDED_HOST": "wiki.contoso.example",
        "HTTP_X_FORWARDED_URI": "/page?id=7",
    }
    response = Client().get("/forward-auth", **headers)
    assert response.status_code == 302
    assert response["Location"] == (
        "https://id.contoso.example/signin/?next=https%3A%2F%2Fwiki.contoso.example%2Fpage%3Fid%3D7"
    )


@override_settings(TWOFOLD_FORWARD_AUTH_HOSTS=["wiki.contoso.example"])
def test_unknown_hosts_are_not_redirected_back_to(db: None) -> None:
    headers = {"HTTP_X_FORWARDED_METHOD": "GET", "HTTP_X_FORWARDED_HOST": "evil.example"}
    assert Client().get("/forward-auth", **headers).status_code == 401


@override_settings(TWOFOLD_FORWARD_AUTH_HOSTS=["wiki.contoso.example"])
def test_sign_in_returns_to_an_app_behind_forward_auth(adele: User) -> None:
    from tests.conftest import sign_in as password_step  # noqa: F401
    from twofold.policy.services import get_policy

    policy = get_policy()
    policy.registration_required = False
    policy.save()
    response = Client().post(
        "/signin/",
        {
            "username": adele.username,
            "password": DEFAULT_PASSWORD,
            "next": "https://wiki.contoso.example/x",
        },
    )
    assert response["Location"] == "https://wiki.contoso.example/x"

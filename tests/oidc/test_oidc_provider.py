from __future__ import annotations

import io
import secrets

import pytest
from django.core.management import call_command
from django.test import Client
from oauth2_provider.models import get_application_model

from tests.conftest import DEFAULT_PASSWORD, FrozenClock, sign_in
from tests.oidc.conftest import CALLBACK, authorize_url, exchange, id_token_claims
from twofold.accounts.models import User
from twofold.oidc.claims import acr_value, amr_values

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("session_amr", "expected"),
    [
        (["pwd"], ["pwd"]),
        (["pwd", "authenticator_code"], ["pwd", "otp", "mfa"]),
        (["pwd", "phone_text"], ["pwd", "sms", "mfa"]),
        (["pwd", "mfa", "office_call"], ["pwd", "tel", "mfa"]),
        (["pwd", "security_key"], ["pwd", "hwk", "mfa"]),
    ],
)
def test_amr_values_follow_rfc_8176(session_amr: list[str], expected: list[str]) -> None:
    assert amr_values(session_amr) == expected
    assert acr_value(expected) == (
        "urn:twofold:acr:mfa" if "mfa" in expected else "urn:twofold:acr:pwd"
    )


def test_code_flow_gives_an_id_token_saying_password_and_code(
    adele: User, add_authenticator, clock: FrozenClock, app: dict[str, str]
) -> None:
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    verifier = secrets.token_urlsafe(48)
    response = client.get(authorize_url(app, verifier))
    assert response.status_code == 302 and response["Location"].startswith(CALLBACK)
    claims = id_token_claims(exchange(client, app, response["Location"], verifier))
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["acr"] == "urn:twofold:acr:mfa"
    assert claims["preferred_username"] == adele.username
    assert claims["nonce"] == "n1"


def test_asking_for_two_step_steps_up_a_password_only_session(
    adele: User, add_authenticator, clock: FrozenClock, app: dict[str, str]
) -> None:
    _, secret = add_authenticator(adele)
    trusted = Client()
    from twofold.policy.services import get_policy

    policy = get_policy()
    policy.remember_browser_days = 30
    policy.save()
    # A remembered browser signs in with the password alone...
    sign_in(trusted, adele, secret, clock.now().timestamp(), remember_browser="on")
    trusted.post("/signout/")
    clock.advance(30)
    assert (
        trusted.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})[
            "Location"
        ]
        == "/"
    )
    verifier = secrets.token_urlsafe(48)
    plain = trusted.get(authorize_url(app, verifier))
    assert id_token_claims(exchange(trusted, app, plain["Location"], verifier))["amr"] == ["pwd"]
    # ...until an app asks for two-step verification.
    url = authorize_url(app, verifier, acr_values="urn:twofold:acr:mfa")
    step_up = trusted.get(url)
    assert step_up["Location"].startswith("/security-info/verify/?next=%2Fo%2Fauthorize%2F")
    from tests.conftest import totp_code

    back = trusted.post(step_up["Location"], {"code": totp_code(secret, clock.now().timestamp())})
    assert back["Location"] == url
    response = trusted.get(url)
    assert id_token_claims(exchange(trusted, app, response["Location"], verifier))["acr"] == (
        "urn:twofold:acr:mfa"
    )


def test_two_step_asked_of_a_user_without_a_second_factor_is_refused(
    adele: User, app: dict[str, str]
) -> None:
    from twofold.policy.services import get_policy

    policy = get_policy()
    policy.registration_required = False
    policy.save()
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    response = client.get(authorize_url(app, "v" * 50, acr_values="mfa"))
    assert response["Location"].startswith(CALLBACK + "?error=access_denied")


def test_unknown_redirect_uri_is_never_redirected_to(
    adele: User, add_authenticator, clock: FrozenClock, app: dict[str, str]
) -> None:
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    url = authorize_url(app, "v" * 50).replace("wiki.contoso.example", "evil.example")
    response = client.get(url)
    assert response.status_code in (400, 200)
    assert "evil.example" not in response.get("Location", "")


def test_form_action_has_no_client_origins(db: None, app: dict[str, str]) -> None:
    # A registered app's origin is no place a form on an ordinary page may post to.
    for path in ("/signin/", "/signin/?next=/security-info/", "/password/reset/"):
        policy = Client().get(path)["Content-Security-Policy"]
        assert "wiki.contoso.example" not in policy
        assert policy.endswith("form-action 'self'")


def test_sign_in_for_an_app_allows_only_that_apps_redirect_origin(
    db: None, app: dict[str, str]
) -> None:
    # Browsers check form-action on the redirects after the sign-in form is sent: the
    # sign-in page of an authorization request may end at that request's redirect URI.
    other = io.StringIO()
    call_command(
        "oidcclient", "add", "Other", "--redirect-uri", "https://other.example/cb", stdout=other
    )
    next_url = authorize_url(app, "v" * 50)
    policy = Client().get("/signin/", {"next": next_url})["Content-Security-Policy"]
    assert policy.endswith("form-action 'self' https://wiki.contoso.example")
    forged = next_url.replace("wiki.contoso.example", "evil.example")
    policy = Client().get("/signin/", {"next": forged})["Content-Security-Policy"]
    assert policy.endswith("form-action 'self'")


def test_discovery_and_keys_are_published(db: None) -> None:
    client = Client()
    discovery = client.get("/o/.well-known/openid-configuration").json()
    assert discovery["authorization_endpoint"].endswith("/o/authorize/")
    keys = client.get("/o/.well-known/jwks.json").json()["keys"]
    assert keys and keys[0]["kty"] == "RSA"


def test_oidcclient_refuses_a_bad_redirect_uri(db: None) -> None:
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="not an http"):
        call_command("oidcclient", "add", "Bad", "--redirect-uri", "javascript:alert(1)")
    assert not get_application_model().objects.exists()


def test_refresh_token_gives_new_tokens_once(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
    app: dict[str, str],
) -> None:
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    verifier = secrets.token_urlsafe(48)
    token = exchange(client, app, client.get(authorize_url(app, verifier))["Location"], verifier)
    refresh = {
        "grant_type": "refresh_token",
        "refresh_token": token["refresh_token"],
        "client_id": app["client_id"],
        "client_secret": app["client_secret"],
    }
    renewed = client.post("/o/token/", refresh)
    assert renewed.status_code == 200
    assert renewed.json()["access_token"] != token["access_token"]
    assert client.post("/o/token/", refresh).status_code == 400, "refresh tokens rotate"


def test_logout_from_an_app_ends_the_twofold_session(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
    app: dict[str, str],
) -> None:
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    verifier = secrets.token_urlsafe(48)
    token = exchange(client, app, client.get(authorize_url(app, verifier))["Location"], verifier)
    response = client.get("/o/logout/", {"id_token_hint": token["id_token"]})
    assert response.status_code in (200, 302)
    assert client.get("/")["Location"].startswith("/signin/")

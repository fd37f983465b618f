"""The holes of an attacker's report on the OpenID Connect provider, each shown closed."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
from django.conf import settings
from django.core.checks import run_checks
from django.core.management import call_command
from django.test import Client, override_settings
from oauth2_provider.models import get_access_token_model, get_application_model

from tests.conftest import DEFAULT_PASSWORD, FrozenClock, sign_in
from tests.oidc.conftest import CALLBACK, authorize_url, exchange, id_token_claims, register
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

ISSUER = settings.TWOFOLD_PUBLIC_URL.rstrip("/") + "/o"


@pytest.fixture
def browser(adele: User, add_authenticator, clock: FrozenClock) -> Client:
    """Adele's browser, signed in with her password and an authenticator code."""
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    client.secret = secret  # type: ignore[attr-defined]
    return client


def query_of(response) -> dict[str, str]:  # type: ignore[no-untyped-def]
    return {k: v[0] for k, v in parse_qs(urlsplit(response["Location"]).query).items()}


def tokens(client: Client, app: dict[str, str], **extra: str) -> dict:  # type: ignore[type-arg]
    verifier = secrets.token_urlsafe(48)
    response = client.get(authorize_url(app, verifier, **extra))
    assert response.status_code == 302 and response["Location"].startswith(CALLBACK)
    return exchange(client, app, response["Location"], verifier)


def refresh(app: dict[str, str], refresh_token: str):  # type: ignore[no-untyped-def]
    return Client().post(
        "/o/token/",
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": app["client_id"],
            "client_secret": app["client_secret"],
        },
    )


def userinfo(access_token: str):  # type: ignore[no-untyped-def]
    return Client().get("/o/userinfo/", HTTP_AUTHORIZATION=f"Bearer {access_token}")


# --- What is mounted.


@pytest.mark.parametrize(
    "path",
    [
        "/o/applications/",
        "/o/applications/register/",
        "/o/authorized_tokens/",
        "/o/introspect/",
        "/o/device/",
        "/o/device-authorization/",
        "/o/register/",
        "/o/.well-known/oauth-authorization-server",
    ],
)
def test_registration_pages_are_not_mounted(browser: Client, path: str) -> None:
    assert browser.get(path).status_code == 404
    assert browser.post(path, {"name": "Mine", "authorization_grant_type": "password"}).status_code
    assert not get_application_model().objects.exists()


# --- Grant types.


@pytest.mark.parametrize("grant_type", ["password", "authorization-code"])
def test_password_grant_is_refused(adele: User, grant_type: str) -> None:
    # A client left from the old self-service page, or a normal one asked for the password grant.
    application_model = get_application_model()
    application_model.objects.create(
        name="Sneaky",
        client_id="sneaky",
        client_secret="sneaky-secret",
        client_type=application_model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=grant_type,
        redirect_uris=CALLBACK,
    )
    answers = [
        Client().post(
            "/o/token/",
            {
                "grant_type": "password",
                "username": adele.username,
                "password": password,
                "client_id": "sneaky",
                "client_secret": "sneaky-secret",
            },
        )
        for password in (DEFAULT_PASSWORD, "wrong-password")
    ]
    for answer in answers:
        assert answer.status_code == 400
        assert answer.json()["error"] == "unsupported_grant_type"
    # The same answer for the right and a wrong password: no oracle without lockout.
    assert answers[0].json() == answers[1].json()
    assert not get_access_token_model().objects.exists()


def test_client_credentials_grant_is_refused(app: dict[str, str]) -> None:
    answer = Client().post(
        "/o/token/",
        {"grant_type": "client_credentials", **app},
    )
    assert answer.status_code == 400
    assert answer.json()["error"] == "unsupported_grant_type"


@pytest.mark.parametrize("response_type", ["token", "id_token", "id_token token", "code id_token"])
def test_implicit_and_hybrid_flows_are_refused(
    browser: Client, app: dict[str, str], response_type: str
) -> None:
    response = browser.get(authorize_url(app, "v" * 50, response_type=response_type))
    assert response.status_code in (302, 400)
    location = response.get("Location", "")
    for issued in ("access_token=", "id_token=", "code="):
        assert issued not in location


def test_plain_pkce_is_refused(browser: Client, app: dict[str, str]) -> None:
    query = {
        "response_type": "code",
        "client_id": app["client_id"],
        "redirect_uri": CALLBACK,
        "scope": "openid",
        "state": "s1",
    }
    plain = browser.get(
        "/o/authorize/", {**query, "code_challenge": "v" * 50, "code_challenge_method": "plain"}
    )
    assert plain.status_code == 302 and plain["Location"].startswith(CALLBACK)
    assert query_of(plain)["error"] == "invalid_request"
    assert "code" not in query_of(plain)
    missing = browser.get("/o/authorize/", query)
    assert query_of(missing)["error"] == "invalid_request"
    assert "code" not in query_of(missing)


# --- Replays.


def test_reused_refresh_token_revokes_family(browser: Client, app: dict[str, str]) -> None:
    first = tokens(browser, app)
    second = refresh(app, first["refresh_token"]).json()
    assert userinfo(second["access_token"]).status_code == 200
    replay = refresh(app, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    # The thief's copy and the app's newer tokens are dead alike.
    assert userinfo(second["access_token"]).status_code == 401
    assert refresh(app, second["refresh_token"]).status_code == 400
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.OIDC_REFRESH_TOKEN_REUSED).count() == 1


def test_reused_code_revokes_its_tokens(browser: Client, app: dict[str, str]) -> None:
    verifier = secrets.token_urlsafe(48)
    location = browser.get(authorize_url(app, verifier))["Location"]
    token = exchange(browser, app, location, verifier)
    assert userinfo(token["access_token"]).status_code == 200
    code = query_of({"Location": location})["code"]  # type: ignore[arg-type]
    replay = Client().post(
        "/o/token/",
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": CALLBACK,
            "code_verifier": verifier,
            **app,
        },
    )
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert userinfo(token["access_token"]).status_code == 401
    assert refresh(app, token["refresh_token"]).status_code == 400
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.OIDC_CODE_REUSED)
    assert event.user is not None and event.details["tokens_revoked"] >= 1


# --- prompt and max_age (OpenID Connect Core 3.1.2.1).


def test_prompt_none_without_session_answers_login_required(db: None, app: dict[str, str]) -> None:
    response = Client().get(authorize_url(app, "v" * 50, prompt="none"))
    assert response.status_code == 302 and response["Location"].startswith(CALLBACK)
    assert query_of(response)["error"] == "login_required"
    assert query_of(response)["state"] == "s1"


def test_prompt_none_with_a_session_signs_in_silently(browser: Client, app: dict[str, str]) -> None:
    response = browser.get(authorize_url(app, "v" * 50, prompt="none"))
    assert response.status_code == 302
    assert "code" in query_of(response) and query_of(response)["iss"] == ISSUER


def test_prompt_none_needing_two_step_answers_interaction_required(
    adele: User, registration_not_required: None, app: dict[str, str]
) -> None:
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    response = client.get(authorize_url(app, "v" * 50, prompt="none", acr_values="mfa"))
    assert query_of(response)["error"] == "interaction_required"


def test_prompt_none_for_an_app_that_asks_consent_answers_consent_required(
    browser: Client,
) -> None:
    app = register("Asks", "--ask-consent")
    response = browser.get(authorize_url(app, "v" * 50, prompt="none"))
    assert query_of(response)["error"] == "consent_required"


def test_prompt_none_never_redirects_to_an_unregistered_address(
    browser: Client, app: dict[str, str]
) -> None:
    url = authorize_url(app, "v" * 50, prompt="none").replace("wiki.contoso", "evil")
    for client in (browser, Client()):
        response = client.get(url)
        assert response.status_code == 400
        assert "evil" not in response.get("Location", "")


def test_max_age_forces_fresh_sign_in(
    browser: Client, adele: User, app: dict[str, str], clock: FrozenClock
) -> None:
    clock.advance(600)
    assert (
        query_of(browser.get(authorize_url(app, "v" * 50, prompt="none", max_age="300")))["error"]
        == "login_required"
    )
    verifier = secrets.token_urlsafe(48)
    url = authorize_url(app, verifier, max_age="300")
    response = browser.get(url)
    assert response["Location"].startswith("/signin/?next=/o/authorize/")
    assert "max_age" not in response["Location"]
    assert browser.get("/")["Location"].startswith("/signin/"), "the old session is over"
    # A fresh sign-in, and the app learns when it happened.
    signed_in_at = clock.now()
    sign_in(browser, adele, browser.secret, clock.now().timestamp())  # type: ignore[attr-defined]
    back = browser.get(query_of(response)["next"])
    claims = id_token_claims(exchange(browser, app, back["Location"], verifier))
    assert claims["auth_time"] == int(signed_in_at.timestamp())
    # Within max_age, no new sign-in is asked for.
    clock.advance(60)
    assert browser.get(authorize_url(app, "v" * 50, max_age="300"))["Location"].startswith(CALLBACK)


def test_prompt_login_forces_fresh_sign_in(browser: Client, app: dict[str, str]) -> None:
    response = browser.get(authorize_url(app, "v" * 50, prompt="login"))
    assert response["Location"].startswith("/signin/?next=")
    assert "prompt" not in query_of(response)["next"]
    assert browser.get("/")["Location"].startswith("/signin/")


def test_forged_request_with_prompt_login_signs_nobody_out(browser: Client) -> None:
    response = browser.get("/o/authorize/?client_id=nobody&response_type=code&prompt=login")
    assert response.status_code == 400
    assert browser.get("/").status_code == 200


def test_refreshed_id_token_keeps_amr(
    browser: Client, app: dict[str, str], clock: FrozenClock
) -> None:
    first = tokens(browser, app)
    clock.advance(120)
    renewed = refresh(app, first["refresh_token"]).json()
    before, after = id_token_claims(first), id_token_claims(renewed)
    assert after["amr"] == before["amr"] == ["pwd", "otp", "mfa"]
    assert after["acr"] == "urn:twofold:acr:mfa"
    assert after["auth_time"] == before["auth_time"]
    again = id_token_claims(refresh(app, renewed["refresh_token"]).json())
    assert again["amr"] == ["pwd", "otp", "mfa"]


# --- Discovery and the issuer.


def test_discovery_advertises_only_supported(db: None) -> None:
    discovery = Client().get("/o/.well-known/openid-configuration").json()
    assert discovery["response_types_supported"] == ["code"]
    assert discovery["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert discovery["code_challenge_methods_supported"] == ["S256"]
    assert discovery["id_token_signing_alg_values_supported"] == ["RS256"]
    assert discovery["request_uri_parameter_supported"] is False
    assert "amr" in discovery["claims_supported"]
    assert discovery["authorization_response_iss_parameter_supported"] is True
    assert discovery["revocation_endpoint"] == f"{ISSUER}/revoke_token/"
    assert "introspection_endpoint" not in discovery
    assert "registration_endpoint" not in discovery


def test_issuer_ignores_host_header(browser: Client, app: dict[str, str]) -> None:
    discovery = (
        Client().get("/o/.well-known/openid-configuration", HTTP_HOST="localhost:9999").json()
    )
    assert discovery["issuer"] == ISSUER
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint"):
        assert discovery[key].startswith(ISSUER + "/"), key
    token = tokens(browser, app)
    assert id_token_claims(token)["iss"] == ISSUER


# --- Access tokens only in the Authorization header.


def test_access_token_in_query_is_refused(browser: Client, app: dict[str, str]) -> None:
    access_token = tokens(browser, app)["access_token"]
    in_query = Client().get("/o/userinfo/", {"access_token": access_token})
    assert in_query.status_code == 400 and in_query.json()["error"] == "invalid_request"
    in_body = Client().post("/o/userinfo/", {"access_token": access_token})
    assert in_body.status_code == 400
    assert userinfo(access_token).json()["sub"]


# --- CSP form-action on the consent and logout pages.


def test_consent_page_allows_only_its_apps_redirect_origin(browser: Client) -> None:
    app = register("Asks", "--ask-consent")
    call_command("oidcclient", "add", "Other", "--redirect-uri", "https://other.example/cb")
    page = browser.get(authorize_url(app, "v" * 50))
    assert page.status_code == 200
    assert page["Content-Security-Policy"].endswith(
        "form-action 'self' https://wiki.contoso.example"
    )


def test_post_logout_redirect_uri_registered_from_the_cli_is_followed(
    browser: Client,
) -> None:
    app = register("Wiki", "--post-logout-redirect-uri", "https://wiki.contoso.example/bye")
    id_token = tokens(browser, app)["id_token"]
    evil = browser.get(
        "/o/logout/",
        {"id_token_hint": id_token, "post_logout_redirect_uri": "https://evil.example/"},
    )
    assert "evil.example" not in evil.get("Location", "")
    bye = browser.get(
        "/o/logout/",
        {"id_token_hint": id_token, "post_logout_redirect_uri": "https://wiki.contoso.example/bye"},
    )
    assert bye.status_code == 302 and bye["Location"] == "https://wiki.contoso.example/bye"
    assert browser.get("/")["Location"].startswith("/signin/")


# --- `twofold check`.


def _oauth_check_ids() -> set[str]:
    found = [m for m in run_checks() if not m.is_silenced()]
    return {m.id for m in found if (m.id or "").startswith("oauth2_provider.")}


def test_twofold_check_runs_toolkit_checks() -> None:
    assert _oauth_check_ids() == set()
    weakened = {
        **settings.OAUTH2_PROVIDER,
        "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": False,
        "REFRESH_TOKEN_REUSE_PROTECTION": False,
    }
    with override_settings(OAUTH2_PROVIDER=weakened):
        found = _oauth_check_ids()
    # Without --deploy: the password grant gate warns, disabled reuse protection fails.
    assert {"oauth2_provider.W002", "oauth2_provider.E002"} <= found

"""An app signs users in through Twofold: authlib as the relying party, a real server,
password + authenticator code in Chromium, and an ID token that says how."""

from __future__ import annotations

import re
import secrets
import subprocess

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from joserfc import jwt
from joserfc.jwk import KeySet
from playwright.sync_api import Page, Route, expect

from tests.conftest import totp_code
from tests.e2e.conftest import RunningServer, _server_env, _twofold_command
from tests.e2e.journey import code_field, complete_wizard, sign_in_with_password, sign_out

pytestmark = pytest.mark.browser

USER = "oidc-user@contoso.example"
PASSWORD = "oidc-Long-passphrase-5"
CALLBACK = "http://127.0.0.1:8123/callback"  # never reached: the browser is intercepted


@pytest.fixture(scope="module")
def client_app(twofold_server: RunningServer) -> dict[str, str]:
    env = _server_env(twofold_server.data_dir)
    twofold = _twofold_command()
    subprocess.run(
        [*twofold, "user", "add", USER, "--display-name", "Olive Idc", "--password-stdin"],
        input=PASSWORD + "\n", env=env, cwd=twofold_server.data_dir, check=True,
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    twofold_server.accounts[USER] = PASSWORD
    output = subprocess.run(
        [*twofold, "oidcclient", "add", "Wiki", "--redirect-uri", CALLBACK],
        env=env, cwd=twofold_server.data_dir, check=True, capture_output=True, text=True,
        timeout=60,
    ).stdout  # fmt: skip
    return {
        "client_id": re.search(r"client_id: (\S+)", output).group(1),  # type: ignore[union-attr]
        "client_secret": re.search(r"client_secret \(shown once\): (\S+)", output).group(1),  # type: ignore[union-attr]
    }


def test_app_signs_in_with_password_and_code_and_learns_how(
    page: Page, twofold_server: RunningServer, client_app: dict[str, str]
) -> None:
    server = twofold_server
    discovery = requests.get(server.url("/o/.well-known/openid-configuration"), timeout=10).json()
    rp = OAuth2Session(
        client_app["client_id"],
        client_app["client_secret"],
        scope="openid profile email",
        redirect_uri=CALLBACK,
        code_challenge_method="S256",
    )
    verifier = secrets.token_urlsafe(48)
    nonce = secrets.token_urlsafe(16)
    url, state = rp.create_authorization_url(
        discovery["authorization_endpoint"],
        code_verifier=verifier,
        nonce=nonce,
        acr_values="urn:twofold:acr:mfa",
    )
    landed: list[str] = []

    def back_at_the_app(route: Route) -> None:
        landed.append(route.request.url)
        route.fulfill(status=200, body="ok")

    page.route(f"{CALLBACK}**", back_at_the_app)

    # First visit: password, then the wizard registers an authenticator app, then back to the app.
    page.goto(url)
    sign_in_with_password(page, server, USER)
    secret, _code = complete_wizard(page, server, label="phone")
    page.wait_for_url(f"{CALLBACK}**")
    assert landed, "the browser came back to the app"

    # Sign out of Twofold and do it again: password and a code this time.
    landed.clear()
    page.goto(server.url("/"))
    sign_out(page, server)
    verifier = secrets.token_urlsafe(48)
    url, state = rp.create_authorization_url(
        discovery["authorization_endpoint"], code_verifier=verifier, nonce=nonce, acr_values="mfa"
    )
    page.goto(url)
    sign_in_with_password(page, server, USER)
    import time

    code_field(page).fill(totp_code(secret, time.time() + 30))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator("body")).to_contain_text("ok")
    callback = landed[-1]
    assert f"state={state}" in callback

    token = rp.fetch_token(
        discovery["token_endpoint"], authorization_response=callback, code_verifier=verifier
    )
    keys = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=10).json())
    token_claims = jwt.decode(token["id_token"], keys, algorithms=["RS256"])
    jwt.JWTClaimsRegistry(
        iss={"essential": True, "value": discovery["issuer"]},
        aud={"essential": True, "value": client_app["client_id"]},
        nonce={"essential": True, "value": nonce},
    ).validate(token_claims.claims)
    claims = token_claims.claims
    assert claims["amr"] == ["pwd", "otp", "mfa"]
    assert claims["acr"] == "urn:twofold:acr:mfa"
    assert claims["preferred_username"] == USER
    assert claims["name"] == "Olive Idc"
    userinfo = rp.get(discovery["userinfo_endpoint"]).json()
    assert userinfo["sub"] == claims["sub"]
    assert userinfo["email"] == USER

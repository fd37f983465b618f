"""Security keys in Chromium with its virtual authenticator (CDP WebAuthn domain)."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, CDPSession, Page, expect

from tests.e2e.conftest import (
    PAGE_TIMEOUT_MS,
    RunningServer,
    _free_port,
    _run,
    _server_env,
    _twofold_command,
    serving,
)
from tests.e2e.journey import sign_in_with_password, sign_out

pytestmark = pytest.mark.browser

USERS = ("keyholder@contoso.example", "stranger@contoso.example")
PASSWORD = "key-Long-passphrase-8"


@pytest.fixture(scope="module")
def key_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A server whose relying party is localhost on its own port."""
    workdir = tmp_path_factory.mktemp("twofold-keys")
    port = _free_port()
    env = _server_env(workdir / "data") | {
        "TWOFOLD_WEBAUTHN_RP_ID": "localhost",
        "TWOFOLD_WEBAUTHN_ORIGINS": f"http://localhost:{port}",
    }
    twofold = _twofold_command()
    _run([*twofold, "migrate", "--no-input"], env, workdir)
    for name in USERS:
        subprocess.run(
            [*twofold, "user", "add", name, "--password-stdin"], input=PASSWORD + "\n", env=env,
            cwd=workdir, check=True, capture_output=True, text=True, timeout=60,
        )  # fmt: skip
    # Keys don't reset passwords yet: without a reset requirement a key alone completes the wizard.
    policy = (
        "from twofold.policy.services import get_policy; p = get_policy(); "
        "p.sspr_enabled = False; p.save()"
    )
    _run([*twofold, "shell", "-c", policy], env, workdir)
    with serving(workdir, env, port=port, host="localhost") as (base_url, log):
        yield RunningServer(
            base_url=base_url,
            accounts=dict.fromkeys(USERS, PASSWORD),
            data_dir=Path(workdir / "data"),
            log_path=log,
        )


@pytest.fixture
def context(browser: Browser, key_server: RunningServer) -> Iterator[BrowserContext]:
    context = browser.new_context(base_url=key_server.base_url, locale="en-GB")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield context
    finally:
        context.close()


def virtual_authenticator(page: Page) -> tuple[CDPSession, str]:
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    result = cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "usb",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
                "automaticPresenceSimulation": True,
            }
        },
    )
    return cdp, result["authenticatorId"]


def register_key_in_wizard(page: Page, server: RunningServer, name: str) -> None:
    page.goto("/")
    sign_in_with_password(page, server, name)
    page.get_by_role("link", name="I want to set up a different method").click()
    page.get_by_role("link", name="Security key").click()
    page.get_by_label("Name for this key").fill("blue key")
    page.get_by_role("button", name="Register my security key").click()
    expect(page.get_by_role("heading", level=1, name="Success!")).to_be_visible()
    expect(page.locator("main .method-list")).to_contain_text("Security key: blue key")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()


def test_register_a_key_sign_in_with_it_and_fail_cleanly_without_it(
    context: BrowserContext, key_server: RunningServer
) -> None:
    page = context.new_page()
    cdp, authenticator = virtual_authenticator(page)
    register_key_in_wizard(page, key_server, USERS[0])
    sign_out(page, key_server)

    sign_in_with_password(page, key_server, USERS[0])
    expect(page.get_by_role("heading", level=1, name="Verify your identity")).to_be_visible()
    page.get_by_role("button", name="Use my security key").click()
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()
    sign_out(page, key_server)

    # The key is gone (lost, or another one): the browser finds no credential.
    cdp.send("WebAuthn.clearCredentials", {"authenticatorId": authenticator})
    sign_in_with_password(page, key_server, USERS[0])
    page.get_by_role("button", name="Use my security key").click()
    expect(page.locator("#webauthn-problem")).to_contain_text("cancelled or timed out")
    expect(page.get_by_role("heading", level=1, name="Verify your identity")).to_be_visible()


def test_a_page_on_the_wrong_address_fails_with_a_clear_message(
    context: BrowserContext, key_server: RunningServer
) -> None:
    page = context.new_page()
    virtual_authenticator(page)
    # 127.0.0.1 is not the relying party "localhost": the browser refuses the ceremony.
    wrong = key_server.base_url.replace("localhost", "127.0.0.1")
    page.goto(f"{wrong}/")
    sign_in_with_password(page, key_server, USERS[1])
    page.goto(f"{wrong}/setup/method/security_key/")
    page.get_by_label("Name for this key").fill("blue key")
    page.get_by_role("button", name="Register my security key").click()
    expect(page.locator("#webauthn-problem")).to_contain_text("address doesn't match")
    expect(page.get_by_role("heading", level=1, name="Keep your account secure")).to_be_visible()

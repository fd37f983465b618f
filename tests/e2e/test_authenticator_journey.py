"""The Twofold Authenticator end to end: a real server, Chromium, and the real client.

The client is the installed ``twofold-authenticator`` command, run as a child process and
answered through its prompts, as a person at a terminal would. The attacks talk to the same
server with the client's own library, changing one thing each time: the key, the number,
the moment, or sending an answer twice.
"""

from __future__ import annotations

import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect
from twofold_authenticator import client as device_api
from twofold_authenticator import keys
from twofold_authenticator.store import Store

from tests.authenticator.child import Output
from tests.e2e.conftest import (
    PAGE_TIMEOUT_MS,
    RunningServer,
    _add_users,
    _run,
    _server_env,
    _twofold_command,
    serving,
)
from tests.e2e.journey import sign_in_with_password, sign_out

pytestmark = pytest.mark.browser

USER = "pusher@contoso.example"
# Registers the app and then removes it on the server.
LEAVER = "leaver@contoso.example"
ADMIN = "guard@contoso.example"
PASSWORD = "push-Long-passphrase-5"
# The shortest a notification may live; the expiry check waits it out.
CHALLENGE_SECONDS = 30
CLI_TIMEOUT_SECONDS = 15.0


@pytest.fixture(scope="module")
def push_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    workdir = tmp_path_factory.mktemp("twofold-push")
    env = _server_env(workdir / "data") | {
        "TWOFOLD_PUSH_CHALLENGE_SECONDS": str(CHALLENGE_SECONDS),
        "TWOFOLD_ORGANISATION_NAME": "Contoso",
    }
    twofold = _twofold_command()
    _run([*twofold, "migrate", "--no-input"], env, workdir)
    _add_users(twofold, (USER, LEAVER), PASSWORD, env, workdir)
    _run(
        [*twofold, "user", "add", ADMIN, "--admin", "--generate-password"], env, workdir
    )  # an administrator with an address, for the fraud alert
    # The app alone completes the wizard: no reset requirement asks for a second method.
    policy = (
        "from twofold.policy.services import get_policy; p = get_policy(); "
        "p.sspr_enabled = False; p.save()"
    )
    _run([*twofold, "shell", "-c", policy], env, workdir)
    with serving(workdir, env) as (base_url, log):
        yield RunningServer(
            base_url=base_url,
            accounts=dict.fromkeys((USER, LEAVER), PASSWORD),
            data_dir=workdir / "data",
            log_path=log,
        )


@pytest.fixture(scope="module")
def page(browser: Browser, push_server: RunningServer) -> Iterator[Page]:
    """One browser for the whole journey: each step starts where the last one ended."""
    context = browser.new_context(base_url=push_server.base_url, locale="en-GB")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("authenticator-store") / "store"


def authenticator(store: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "twofold_authenticator", "--store", str(store), *args],
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )


class Listener:
    """``twofold-authenticator listen --once``, answered through its prompts."""

    def __init__(self, store: Path) -> None:
        self.child = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "twofold_authenticator",
                "--store",
                str(store),
                "listen",
                "--once",
            ],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert self.child.stdout is not None
        self.out = Output(self.child.stdout)

    def __enter__(self) -> Listener:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.child.poll() is None:
            self.child.kill()
        self.child.wait()

    def expect(self, text: str) -> None:
        self.out.wait_for(text, timeout=CLI_TIMEOUT_SECONDS)

    def type(self, line: str) -> None:
        assert self.child.stdin is not None
        self.child.stdin.write(line.encode() + b"\n")
        self.child.stdin.flush()

    def approve(self, number: str) -> None:
        self.expect("Approve? [y/n]: ")
        self.type("y")
        self.expect("Number shown on the sign-in screen: ")
        self.type(number)

    def finished(self) -> str:
        assert self.child.wait(timeout=CLI_TIMEOUT_SECONDS) == 0, self.out.data
        return self.out.data.decode()


def number_on(page: Page) -> str:
    number = page.locator(".push-number")
    expect(number).to_have_text(re.compile(r"^\d\d$"))
    return number.inner_text()


class Device:
    """The app's account from the client's own store, to send crafted answers with."""

    def __init__(self, store: Path) -> None:
        (self.account,) = Store(store).load()
        assert self.account.private_key_pem is not None
        self.key = keys.load_pem(self.account.private_key_pem)
        self.api = device_api.Client()

    def poll(self, wait: float) -> list[device_api.Challenge]:
        assert self.account.device_id and self.account.poll_url
        return self.api.poll(self.key, self.account.device_id, self.account.poll_url, wait)

    def pending(self) -> device_api.Challenge:
        (challenge,) = self.poll(5)
        return challenge

    def answer(
        self, challenge: device_api.Challenge, number: str, key: keys.PrivateKey | None = None
    ) -> str:
        assert self.account.device_id and self.account.respond_url
        return self.api.respond(
            key or self.key,
            self.account.device_id,
            self.account.respond_url,
            challenge,
            "approve",
            number,
        )


def other_number(number: str) -> str:
    return f"{(int(number) + 1 - 10) % 90 + 10}"


def register_from_qr_image(
    page: Page, server: RunningServer, user: str, store: Path, qr_image: Path
) -> None:
    """From the password to "My account": the wizard's QR code, the app, the test notification."""
    page.goto("/")
    sign_in_with_password(page, server, user)
    expect(page.get_by_role("heading", level=1, name="Keep your account secure")).to_be_visible()
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(server.url("/setup/method/authenticator_app/"))

    # What a person does with a screen they can't scan: save the QR code as a picture.
    page.locator("img[data-activation-qr]").screenshot(path=str(qr_image))
    added = authenticator(store, "add", "--qr", str(qr_image), "--name", "e2e laptop")
    assert added.returncode == 0, added.stderr
    assert f"Added {user} (Contoso)" in added.stdout

    # The page learns of the activation by itself and sends the test notification.
    number = number_on(page)
    expect(page.get_by_text("on e2e laptop")).to_be_visible()
    with Listener(store) as app:
        app.expect("Test notification")
        app.approve(number)
        assert "Approved. This app is ready to use." in app.finished()

    expect(page.get_by_role("heading", level=1, name="Success!")).to_be_visible()
    expect(page.locator("main .method-list")).to_contain_text("e2e laptop")
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()


def test_activate_from_the_qr_image_and_approve_the_test_notification(
    page: Page, push_server: RunningServer, store: Path, tmp_path: Path
) -> None:
    register_from_qr_image(page, push_server, USER, store, tmp_path / "qr.png")
    codes = authenticator(store, "codes")
    assert re.search(r"\b\d{6}\b", codes.stdout), "codes work offline from the same activation"


def test_sign_in_with_number_matching(page: Page, push_server: RunningServer, store: Path) -> None:
    sign_out(page, push_server)
    sign_in_with_password(page, push_server, USER)
    expect(page.get_by_role("heading", level=1, name="Verify your identity")).to_be_visible()
    number = number_on(page)
    with Listener(store) as app:
        app.expect("Sign-in request for")
        app.expect("Chrome on Linux")
        app.expect("Contoso")
        app.approve(number)
        assert "Approved." in app.finished()
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()


def test_wrong_number_forged_signature_and_replay_are_refused(
    page: Page, push_server: RunningServer, store: Path
) -> None:
    device = Device(store)
    sign_out(page, push_server)
    sign_in_with_password(page, push_server, USER)
    number = number_on(page)

    # A wrong number ends the notification, and the browser says so.
    assert device.answer(device.pending(), other_number(number)) == "wrong_number"
    expect(page.get_by_role("alert")).to_have_text(re.compile("didn't match"))
    expect(page.locator(".push-number")).to_have_count(0)

    page.get_by_role("link", name="Send another notification").click()
    number = number_on(page)
    challenge = device.pending()

    # Signed by a key that isn't the device's: refused, and the notification stays open.
    with pytest.raises(device_api.BadSignature):
        device.answer(challenge, number, key=keys.generate("ed25519"))
    expect(page.get_by_role("heading", level=1, name="Verify your identity")).to_be_visible()

    assert device.answer(challenge, number) == "approved"
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()
    # The same signed answer sent again counts for nothing.
    with pytest.raises(device_api.ChallengeClosed):
        device.answer(challenge, number)


def test_expired_notification_is_refused(
    page: Page, push_server: RunningServer, store: Path
) -> None:
    device = Device(store)
    sign_out(page, push_server)
    sign_in_with_password(page, push_server, USER)
    number = number_on(page)
    challenge = device.pending()

    time.sleep(CHALLENGE_SECONDS + 1)
    with pytest.raises(device_api.ChallengeClosed):
        device.answer(challenge, number)
    expect(page.get_by_role("alert")).to_contain_text("expired")
    expect(page.get_by_role("heading", level=1, name="Verify your identity")).to_be_visible()


def test_deny_with_fraud_report_blocks_notifications_and_tells_admins(
    page: Page, push_server: RunningServer, store: Path
) -> None:
    page.get_by_role("link", name="Send another notification").click()
    number_on(page)
    with Listener(store) as app:
        app.expect("Approve? [y/n]: ")
        app.type("n")
        app.expect("Report suspicious activity? [y/n]: ")
        app.type("y")
        assert "Denied and reported as suspicious." in app.finished()

    expect(page.get_by_role("alert")).to_contain_text("blocked")
    expect(page.locator(".push-number")).to_have_count(0)
    deadline = time.monotonic() + 5
    while f"Fraud alert for {USER}" not in push_server.log_path.read_text(errors="replace"):
        assert time.monotonic() < deadline, "the administrators were emailed"
        time.sleep(0.1)

    # Nothing more reaches the app until an administrator resolves the alert, and the page
    # offers nothing that could not work.
    expect(page.get_by_role("link", name="Send another notification")).to_have_count(0)
    expect(page.get_by_text("Use a code from the app")).to_have_count(0)
    page.reload()
    expect(page.get_by_role("alert")).to_contain_text("blocked")
    assert Device(store).poll(1) == []


def test_removing_the_app_on_the_server_tells_the_app(
    browser: Browser, push_server: RunningServer, tmp_path: Path
) -> None:
    context = browser.new_context(base_url=push_server.base_url, locale="en-GB")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    store = tmp_path / "store"
    try:
        register_from_qr_image(page, push_server, LEAVER, store, tmp_path / "qr.png")
        page.goto("/security-info/")
        page.get_by_role("link", name=re.compile("^Delete Twofold Authenticator")).click()
        page.get_by_role("button", name="Yes, delete it").click()
        expect(page.get_by_role("status")).to_contain_text("was deleted")
    finally:
        context.close()

    listened = authenticator(store, "listen", "--once")
    assert listened.returncode == 1
    assert f"Your organisation removed this app from {LEAVER} (Contoso)" in listened.stdout
    listed = authenticator(store, "list")
    assert re.search(r"push\s+removed\s+" + re.escape(LEAVER), listed.stdout), listed.stdout

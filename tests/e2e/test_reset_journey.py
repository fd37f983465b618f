"""Self-service password reset in a real browser: email through a real SMTP server,
security questions, and a text through the dev phone."""

from __future__ import annotations

import email
import re
import subprocess
import time
from collections.abc import Iterator
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    PAGE_TIMEOUT_MS,
    RunningServer,
    _free_port,
    _run,
    _server_env,
    _twofold_command,
    serving,
)
from tests.e2e.journey import code_field, sign_in_with_password

pytestmark = pytest.mark.browser

PASSWORD = "reset-Long-passphrase-3"
NEW_PASSWORD = "brand-New-passphrase-44"
USERS = {"forgetful@contoso.example": "+31633333333", "texter2@contoso.example": "+31644444444"}
HOME_EMAILS = {
    "forgetful@contoso.example": "forgetful@home.example",
    "texter2@contoso.example": "t2@home.example",
}
ANSWERS = {
    "What was the name of your first pet?": "Rex the dog",
    "What was the first concert you went to?": "U2 in Rotterdam",
    "Who was your childhood hero?": "Pippi Longstocking",
}


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(email.message_from_bytes(envelope.content))
        return "250 Message accepted"

    def code_for(self, address: str, after: int) -> str:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            for message in self.messages[after:]:
                if message["To"] == address:
                    body = message.get_payload(decode=True).decode()
                    match = re.search(r"code is (\d{6})", body)
                    if match:
                        return match.group(1)
            time.sleep(0.1)
        raise AssertionError(f"no code mailed to {address}")


@pytest.fixture(scope="module")
def inbox() -> Iterator[Inbox]:
    box = Inbox()
    controller = Controller(box, hostname="127.0.0.1", port=_free_port())
    controller.start()
    box.port = controller.port  # type: ignore[attr-defined]
    yield box
    controller.stop()


@pytest.fixture(scope="module")
def reset_server(tmp_path_factory: pytest.TempPathFactory, inbox: Inbox) -> Iterator[RunningServer]:
    """A server that mails through the test's SMTP server and asks two methods for a reset."""
    workdir = tmp_path_factory.mktemp("twofold-reset")
    env = _server_env(workdir / "data") | {
        "TWOFOLD_EMAIL_BACKEND": "smtp",
        "TWOFOLD_EMAIL_HOST": "127.0.0.1",
        "TWOFOLD_EMAIL_PORT": str(inbox.port),  # type: ignore[attr-defined]
        "TWOFOLD_EMAIL_FROM": "twofold@contoso.example",
    }
    twofold = _twofold_command()
    _run([*twofold, "migrate", "--no-input"], env, workdir)
    for name, number in USERS.items():
        subprocess.run(
            [*twofold, "user", "add", name, "--mobile-phone", number, "--password-stdin"],
            input=PASSWORD + "\n", env=env, cwd=workdir, check=True, capture_output=True,
            text=True, timeout=60,
        )  # fmt: skip
    policy = (
        "from twofold.policy.services import get_policy; p = get_policy(); "
        "p.sspr_methods_required = 2; p.save()"
    )
    _run([*twofold, "shell", "-c", policy], env, workdir)
    with serving(workdir, env, host="127.0.0.1") as (base_url, log):
        yield RunningServer(
            base_url=base_url,
            accounts=dict.fromkeys(USERS, PASSWORD),
            data_dir=Path(workdir / "data"),
            log_path=log,
        )


@pytest.fixture
def page(browser: Browser, reset_server: RunningServer) -> Iterator[Page]:
    context = browser.new_context(base_url=reset_server.base_url, locale="en-GB")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def dev_phone_code(page: Page, number: str) -> str:
    phone = page.context.new_page()
    phone.goto(f"/devphone/{number}/")
    text = phone.locator(".devphone-text .devphone-body").first.inner_text()
    phone.close()
    return re.match(r"(\d{6})", text).group(1)  # type: ignore[union-attr]


def set_up_security_info(page: Page, server: RunningServer, inbox: Inbox, name: str) -> None:
    """Text (two-step and reset), email and questions, through the wizard and Security info."""
    number, home = USERS[name], HOME_EMAILS[name]
    page.goto("/")
    sign_in_with_password(page, server, name)
    expect(page.locator(".progress")).to_contain_text("Method 1 of 2")
    page.get_by_role("link", name="I want to set up a different method").click()
    page.get_by_role("link", name="Phone: text message").click()
    page.get_by_role("button", name="Text me a code").click()
    code_field(page).fill(dev_phone_code(page, number))
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".progress")).to_contain_text("Method 2 of 2")
    page.get_by_role("link", name="I want to set up a different method").click()
    page.get_by_role("link", name="Email").click()
    page.get_by_label("Email address").fill(home)
    sent_before = len(inbox.messages)
    page.get_by_role("button", name="Send code").click()
    code_field(page).fill(inbox.code_for(home, sent_before))
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1, name="Success!")).to_be_visible()
    page.get_by_role("button", name="Done").click()

    page.goto("/security-info/")
    page.get_by_role("link", name="Security questions").click()
    for number_, (question, answer) in enumerate(ANSWERS.items(), start=1):
        page.get_by_label(f"Question {number_}").select_option(label=question)
        page.get_by_label(f"Answer {number_}").fill(answer)
    page.get_by_role("button", name="Add").click()
    expect(page.locator("table.methods")).to_contain_text("Security questions")
    page.get_by_role("button", name="Sign out").click()


def start_reset(page: Page, name: str) -> None:
    page.goto("/signin/")
    page.get_by_role("link", name="Forgot my password").click()
    page.get_by_label("Account name").fill(name)
    # The proof of work runs by itself; "Next" waits for it.
    page.get_by_role("button", name="Next").click()
    expect(page.locator(".progress")).to_have_text("Verification step 1 of 2")


def verify_by_email(page: Page, inbox: Inbox, home: str) -> None:
    page.get_by_role("link", name="Email").click()
    page.get_by_label("The email address in your security info").fill(home)
    sent_before = len(inbox.messages)
    page.get_by_role("button", name="Next").click()
    code_field(page).fill(inbox.code_for(home, sent_before))
    page.get_by_role("button", name="Verify").click()
    expect(page.locator(".progress")).to_have_text("Verification step 2 of 2")


def choose_new_password_and_sign_in(page: Page, server: RunningServer, name: str) -> None:
    expect(page.get_by_role("heading", level=1, name="Choose a new password")).to_be_visible()
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Finish").click()
    expect(page.get_by_role("heading", level=1, name="Your password was reset")).to_be_visible()
    page.get_by_role("link", name="Sign in").click()
    server.accounts[name] = NEW_PASSWORD
    sign_in_with_password(page, server, name)
    code_field(page).fill(dev_phone_code(page, USERS[name]))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()


def test_reset_with_email_and_security_questions(
    page: Page, reset_server: RunningServer, inbox: Inbox
) -> None:
    name = "forgetful@contoso.example"
    set_up_security_info(page, reset_server, inbox, name)
    start_reset(page, name)
    verify_by_email(page, inbox, HOME_EMAILS[name])
    page.get_by_role("link", name="Security questions").click()
    for question, answer in ANSWERS.items():
        field = page.get_by_label(question)
        if field.count():
            field.fill(answer.upper())  # answers are not case-sensitive
    page.get_by_role("button", name="Verify").click()
    choose_new_password_and_sign_in(page, reset_server, name)


def test_reset_with_email_and_a_text_message(
    page: Page, reset_server: RunningServer, inbox: Inbox
) -> None:
    name = "texter2@contoso.example"
    set_up_security_info(page, reset_server, inbox, name)
    start_reset(page, name)
    verify_by_email(page, inbox, HOME_EMAILS[name])
    page.get_by_role("link", name="Phone: text message").click()
    page.get_by_label("The phone number in your security info").fill(USERS[name])
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("status")).to_contain_text("we contacted it")
    code_field(page).fill(dev_phone_code(page, USERS[name]))
    page.get_by_role("button", name="Verify").click()
    choose_new_password_and_sign_in(page, reset_server, name)

"""Phone methods in a real browser, with the dev phone page standing in for the phone."""

from __future__ import annotations

import re
import subprocess

import pytest
from playwright.sync_api import BrowserContext, Page, expect

from tests.e2e.conftest import RunningServer, _server_env, _twofold_command
from tests.e2e.journey import code_field, expect_verify_page, sign_in_with_password, sign_out

pytestmark = pytest.mark.browser

TEXT_USER = "texter@contoso.example"
CALL_USER = "caller@contoso.example"
PASSWORD = "phone-Long-passphrase-7"
PHONES = {TEXT_USER: "+31611111111", CALL_USER: "+31622222222"}


@pytest.fixture(scope="module")
def phone_users(twofold_server: RunningServer) -> RunningServer:
    """Two users whose directory entry has a mobile number, added through the CLI."""
    env = _server_env(twofold_server.data_dir)
    for name, number in PHONES.items():
        command = [*_twofold_command(), "user", "add", name, "--mobile-phone", number]
        completed = subprocess.run(
            [*command, "--password-stdin"],
            input=PASSWORD + "\n",
            env=env,
            cwd=twofold_server.data_dir,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert completed.returncode == 0, completed.stderr
        twofold_server.accounts[name] = PASSWORD
    return twofold_server


def open_dev_phone(context: BrowserContext, server: RunningServer, number: str) -> Page:
    phone = context.new_page()
    phone.goto(server.url(f"/devphone/{number}/"))
    return phone


def code_from_dev_phone(context: BrowserContext, server: RunningServer, number: str) -> str:
    phone = open_dev_phone(context, server, number)
    text = phone.locator(".devphone-text .devphone-body").first.inner_text()
    phone.close()
    match = re.match(r"(\d{6}) is your", text)
    assert match, text
    return match.group(1)


def answer_call_on_dev_phone(context: BrowserContext, server: RunningServer, number: str) -> None:
    phone = open_dev_phone(context, server, number)
    expect(phone.locator(".devphone-call").first).to_contain_text("press the pound key")
    phone.get_by_role("button", name="Press #").first.click()
    expect(phone.locator(".devphone-call").first).to_have_attribute("data-status", "confirmed")
    phone.close()


def choose_method(page: Page, server: RunningServer, name: str) -> None:
    expect(page).to_have_url(server.url("/setup/"))
    page.get_by_role("link", name="I want to set up a different method").click()
    page.get_by_role("link", name=name).click()


def test_register_and_sign_in_with_a_text_message(page: Page, phone_users: RunningServer) -> None:
    server, number = phone_users, PHONES[TEXT_USER]
    page.goto("/")
    sign_in_with_password(page, server, TEXT_USER)
    choose_method(page, server, "Phone: text message")
    expect(page.get_by_label("Country or region")).to_have_value("NL")
    expect(page.get_by_label("Phone number")).to_have_value(number)
    page.get_by_role("button", name="Text me a code").click()
    expect(page.get_by_role("status")).to_contain_text("We sent a code to +31 6")
    code_field(page).fill(code_from_dev_phone(page.context, server, number))
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1, name="Success!")).to_be_visible()
    page.get_by_role("button", name="Done").click()
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()
    sign_out(page, server)

    sign_in_with_password(page, server, TEXT_USER)
    expect_verify_page(page, server)
    expect(page.locator("main")).to_contain_text("We sent a code by text to +31 6")
    code_field(page).fill(code_from_dev_phone(page.context, server, number))
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()


def test_register_and_sign_in_with_a_phone_call(page: Page, phone_users: RunningServer) -> None:
    server, number = phone_users, PHONES[CALL_USER]
    page.goto("/")
    sign_in_with_password(page, server, CALL_USER)
    choose_method(page, server, "Phone: call")
    page.get_by_role("button", name="Call me").click()
    expect(page.get_by_role("status")).to_contain_text("calling +31 6")
    # Next before answering: a clear word, not a failure.
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("alert")).to_contain_text("haven't had your answer yet")
    answer_call_on_dev_phone(page.context, server, number)
    page.get_by_role("button", name="Next").click()
    expect(page.get_by_role("heading", level=1, name="Success!")).to_be_visible()
    page.get_by_role("button", name="Done").click()
    sign_out(page, server)

    sign_in_with_password(page, server, CALL_USER)
    expect_verify_page(page, server)
    expect(page.locator("main")).to_contain_text("calling +31 6")
    answer_call_on_dev_phone(page.context, server, number)
    page.get_by_role("button", name="Verify").click()
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()

"""Sign-in journeys in a real browser against a real ``twofold serve`` process.

Policy makes every user register security info: after the password, a demo user without any
goes through the "Keep your account secure" wizard before reaching "My account". The server
lives for the whole session, so each test that finishes the wizard uses a user of its own.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import ConsoleMessage, Locator, Page, expect

from tests.e2e.conftest import RunningServer
from tests.e2e.journey import (
    check_qr_code,
    code_field,
    complete_wizard,
    current_code,
    expect_wizard_start,
)

pytestmark = pytest.mark.browser

ADELE = "adele@contoso.example"
ALEX = "alex@contoso.example"


def _username(page: Page) -> Locator:
    return page.get_by_label("Account name")


def _password(page: Page) -> Locator:
    return page.get_by_label("Password", exact=True)


def _expect_sign_in_page(page: Page, server: RunningServer, *, next_path: str | None) -> None:
    expected = server.url("/signin/") + (f"?next={next_path}" if next_path else "")
    expect(page).to_have_url(expected)
    expect(page.get_by_role("heading", level=1, name="Sign in")).to_be_visible()


def test_demo_user_signs_in_and_out(page: Page, twofold_server: RunningServer) -> None:
    page.goto("/")
    _expect_sign_in_page(page, twofold_server, next_path="/")

    _username(page).fill(ADELE)
    _password(page).fill(twofold_server.password(ADELE))
    page.get_by_role("button", name="Sign in").click()

    # Signed in (the header says who), but security info comes first...
    expect_wizard_start(page, twofold_server)
    expect(page.locator("header")).to_contain_text("Adele Vance")
    complete_wizard(page, twofold_server)

    # ...and then the page asked for before signing in.
    expect(page).to_have_url(twofold_server.url("/"))
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Adele Vance")
    expect(page.locator("main")).to_contain_text(ADELE)
    expect(page.locator("header")).to_contain_text("Adele Vance")

    page.get_by_role("button", name="Sign out").click()
    _expect_sign_in_page(page, twofold_server, next_path=None)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)

    # The session is really gone, not just the page changed.
    page.goto("/")
    _expect_sign_in_page(page, twofold_server, next_path="/")


def test_wrong_password_shows_clear_message_and_keeps_name(
    page: Page, twofold_server: RunningServer
) -> None:
    page.goto("/signin/")
    _username(page).fill(ADELE)
    _password(page).fill("not-adele's-password-1")
    with page.expect_response(
        lambda response: response.request.method == "POST" and "/signin/" in response.url
    ) as refused:
        page.get_by_role("button", name="Sign in").click()

    assert refused.value.status == 401
    alert = page.get_by_role("alert")
    expect(alert).to_be_visible()
    expect(alert).to_have_id("form-errors")
    expect(alert).to_contain_text("That account name and password don't match")
    expect(_username(page)).to_have_value(ADELE)
    # A refused password is never sent back to the browser.
    expect(_password(page)).to_have_value("")
    _expect_sign_in_page(page, twofold_server, next_path=None)
    expect(page.get_by_role("heading", level=1, name="My account")).to_have_count(0)


def test_empty_form_shows_field_messages(page: Page, twofold_server: RunningServer) -> None:
    page.goto("/signin/")
    # The form is novalidate: the browser must not block the submit, the server answers.
    expect(page.locator("form[novalidate]").filter(has=_username(page))).to_have_count(1)
    with page.expect_response(
        lambda response: response.request.method == "POST" and "/signin/" in response.url
    ) as answered:
        page.get_by_role("button", name="Sign in").click()

    assert answered.value.status == 400
    _expect_sign_in_page(page, twofold_server, next_path=None)
    expect(page.locator("#id_username_error")).to_have_text(
        "Enter your account name, for example adele@contoso.example."
    )
    expect(page.locator("#id_password_error")).to_have_text("Enter your password.")
    expect(_username(page)).to_have_attribute("aria-invalid", "true")
    expect(_password(page)).to_have_attribute("aria-invalid", "true")
    # Missing fields are not a refused sign-in: no account-level alert.
    expect(page.locator("#form-errors")).to_have_count(0)


def test_sign_in_page_switches_to_dutch(page: Page, twofold_server: RunningServer) -> None:
    page.goto("/signin/")
    expect(page.locator("html")).to_have_attribute("lang", "en")

    page.get_by_role("button", name="Nederlands").click()

    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(page).to_have_url(twofold_server.url("/signin/"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Aanmelden")
    expect(page.get_by_role("button", name="Nederlands")).to_have_attribute("aria-current", "true")
    expect(page.get_by_role("button", name="English")).to_be_enabled()

    # The choice sticks for the next page view...
    page.goto("/signin/")
    expect(page.locator("html")).to_have_attribute("lang", "nl")

    # ...and can be undone.
    page.get_by_role("button", name="English").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    _expect_sign_in_page(page, twofold_server, next_path=None)


def test_signin_page_sends_security_headers(page: Page, twofold_server: RunningServer) -> None:
    # Recorded by the page itself; init scripts run outside the page's CSP.
    page.add_init_script(
        "window.__cspViolations = [];"
        "document.addEventListener('securitypolicyviolation', (event) => {"
        "  window.__cspViolations.push(event.violatedDirective + ' ' + event.blockedURI);"
        "});"
    )
    console_errors: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if message.type == "error":
            console_errors.append(message.text)

    page.on("console", record)
    page.on("pageerror", lambda error: console_errors.append(str(error)))

    response = page.goto("/signin/")
    assert response is not None
    assert response.status == 200
    headers = response.all_headers()
    csp = headers.get("content-security-policy", "")
    directives = {part.strip().split(" ", 1)[0]: part.strip() for part in csp.split(";")}
    assert directives.get("script-src") == "script-src 'self'", csp
    assert directives.get("frame-ancestors") == "frame-ancestors 'none'", csp
    assert headers.get("x-frame-options") == "DENY"
    assert headers.get("x-content-type-options") == "nosniff"

    # The stylesheet is allowed by the policy and actually applied.
    expect(page.locator(".skip-link")).to_have_css("position", "absolute")
    page.wait_for_load_state("load")
    violations = page.evaluate("window.__cspViolations")
    assert violations == []
    csp_errors = [text for text in console_errors if "Content Security Policy" in text]
    assert csp_errors == [], console_errors


def _tab_to(page: Page, target: Locator, *, key: str = "Tab", max_presses: int = 10) -> None:
    """Press Tab (or Shift+Tab) until ``target`` has the focus, as a keyboard user would."""
    for _ in range(max_presses):
        page.keyboard.press(key)
        if target.evaluate("element => element === document.activeElement"):
            return
    pytest.fail(f"{target} was not reached with {max_presses} presses of {key}")


def test_sign_in_and_set_up_security_info_with_keyboard_only(
    page: Page, twofold_server: RunningServer
) -> None:
    page.goto("/signin/")
    expect(_username(page)).to_be_focused()

    page.keyboard.type(ALEX)
    page.keyboard.press("Tab")
    expect(_password(page)).to_be_focused()
    page.keyboard.type(twofold_server.password(ALEX))
    page.keyboard.press("Enter")

    expect_wizard_start(page, twofold_server)
    _tab_to(page, page.get_by_role("link", name="Next"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(twofold_server.url("/setup/method/authenticator_app/"))
    _tab_to(page, page.get_by_role("link", name="I want to use a different authenticator app"))
    page.keyboard.press("Enter")
    expect(page).to_have_url(twofold_server.url("/setup/method/authenticator_code/"))
    check_qr_code(page)
    # Nothing is focused ahead of the steps: Tab reaches "Can't scan the QR code?" before
    # the code field, in reading order, and it opens from the keyboard too.
    expect(code_field(page)).not_to_be_focused()
    secret = page.locator("#totp-secret")
    expect(secret).to_be_hidden()
    _tab_to(page, page.locator("summary", has_text="Can't scan the QR code?"))
    page.keyboard.press("Enter")
    expect(secret).to_be_visible()
    secret_value = secret.inner_text().replace(" ", "")

    _tab_to(page, code_field(page))
    page.keyboard.type(current_code(secret_value))
    page.keyboard.press("Enter")

    expect(page).to_have_url(twofold_server.url("/setup/done/"))
    expect(page.get_by_role("heading", level=1, name="Success!")).to_be_visible()
    _tab_to(page, page.get_by_role("button", name="Done"))
    page.keyboard.press("Enter")

    expect(page).to_have_url(twofold_server.url("/"))
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Alex Wilber")

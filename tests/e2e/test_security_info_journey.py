"""Security info in a real browser: the wizard, two-step sign-in and the Security info page.

Each test uses its own extra user (``E2E_USERS``): the server lives for the whole session, and
a user who finished the wizard, or locked their codes, stays that way.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import E2E_USERS, RunningServer
from tests.e2e.journey import (
    check_qr_code,
    code_field,
    complete_wizard,
    current_code,
    expect_verify_page,
    expect_wizard_start,
    next_step_code,
    read_secret,
    sign_in_with_password,
    sign_out,
    submit_code,
    wrong_codes,
)

pytestmark = pytest.mark.browser

JOURNEY_USER, REPLAY_USER, LOCKOUT_USER, BYPASS_USER, MALFORMED_USER = E2E_USERS[:5]

WRONG_CODE = "That code didn't work."
TOO_MANY = "Too many wrong codes."


def _sign_in_until_verify(page: Page, server: RunningServer, name: str) -> None:
    page.goto("/signin/")
    sign_in_with_password(page, server, name)
    expect_verify_page(page, server)


def test_new_user_registers_authenticator_and_manages_security_info(
    page: Page, twofold_server: RunningServer
) -> None:
    server = twofold_server
    # First sign-in: the wizard, then the page asked for.
    page.goto("/")
    sign_in_with_password(page, server, JOURNEY_USER)
    phone_secret, _ = complete_wizard(page, server, label="phone")
    expect(page).to_have_url(server.url("/"))
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()
    sign_out(page, server)

    # Second sign-in: password, then a code; the wizard is not shown again.
    page.goto("/security-info/")
    expect(page).to_have_url(server.url("/signin/?next=/security-info/"))
    sign_in_with_password(page, server, JOURNEY_USER)
    expect_verify_page(page, server)
    expect(page.locator("main")).to_contain_text("(phone)")
    # One method: nothing else to offer.
    expect(page.get_by_role("link", name="Sign in another way")).to_have_count(0)
    assert submit_code(page, next_step_code(phone_secret)) == 302

    expect(page).to_have_url(server.url("/security-info/"))
    expect(page.get_by_role("heading", level=1, name="Security info")).to_be_visible()
    default = page.locator("#default-method")
    expect(default).to_have_text("Authenticator app - phone")
    expect(page.get_by_role("link", name="Change", exact=True)).to_have_count(0)
    rows = page.locator("table.methods tbody tr")
    expect(rows).to_have_count(1)

    # Add a second authenticator app. The code just used at sign-in is a fresh verification,
    # so no step-up is asked for.
    page.get_by_role("link", name="Authenticator app", exact=True).click()
    expect(page).to_have_url(server.url("/security-info/add/authenticator_code/"))
    expect(page.get_by_role("heading", level=1, name="Authenticator app")).to_be_visible()
    check_qr_code(page)
    tablet_secret = read_secret(page)
    assert tablet_secret != phone_secret
    code_field(page).fill(current_code(tablet_secret))
    page.get_by_label("Name for this app or device").fill("tablet")
    page.get_by_role("button", name="Add").click()

    expect(page).to_have_url(server.url("/security-info/"))
    expect(page.get_by_role("status")).to_contain_text(
        "Authenticator app was added to your security info."
    )
    expect(rows).to_have_count(2)
    expect(default).to_have_text("Authenticator app - phone")

    # Make the tablet the default.
    page.get_by_role("link", name="Change", exact=True).click()
    expect(page).to_have_url(server.url("/security-info/default/"))
    choice = page.get_by_label("Which method do you want to use to sign in?")
    expect(choice).to_have_value(choice.locator("option", has_text="phone").get_attribute("value"))
    choice.select_option(label="Authenticator app - tablet")
    page.get_by_role("button", name="Confirm").click()

    expect(page).to_have_url(server.url("/security-info/"))
    expect(page.get_by_role("status")).to_contain_text("Your default sign-in method was changed.")
    expect(default).to_have_text("Authenticator app - tablet")

    # Delete the phone, after confirming.
    page.get_by_role("link", name="Delete Authenticator app phone").click()
    expect(page.get_by_role("heading", level=1, name="Delete method")).to_be_visible()
    expect(page.locator("main")).to_contain_text(
        "Are you sure you want to delete Authenticator app (phone)?"
    )
    page.get_by_role("button", name="Yes, delete it").click()

    expect(page).to_have_url(server.url("/security-info/"))
    expect(page.get_by_role("status")).to_contain_text("Authenticator app was deleted.")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("tablet")
    expect(page.locator("table.methods")).not_to_contain_text("phone")
    expect(default).to_have_text("Authenticator app - tablet")
    expect(page.get_by_role("link", name="Change", exact=True)).to_have_count(0)

    # The next sign-in asks for the tablet; the deleted phone's codes no longer work.
    sign_out(page, server)
    _sign_in_until_verify(page, server, JOURNEY_USER)
    expect(page.locator("main")).to_contain_text("(tablet)")
    assert submit_code(page, next_step_code(phone_secret)) == 401
    expect(page.get_by_role("alert")).to_contain_text(WRONG_CODE)
    assert submit_code(page, next_step_code(tablet_secret)) == 302
    expect(page).to_have_url(server.url("/"))
    expect(page.get_by_role("heading", level=1, name="My account")).to_be_visible()


def test_a_code_is_accepted_only_once(page: Page, twofold_server: RunningServer) -> None:
    server = twofold_server
    page.goto("/signin/")
    sign_in_with_password(page, server, REPLAY_USER)
    secret, registration_code = complete_wizard(page, server)
    sign_out(page, server)

    # The code that registered the app was used: it can't sign in too.
    _sign_in_until_verify(page, server, REPLAY_USER)
    assert submit_code(page, registration_code) == 401
    expect_verify_page(page, server)
    alert = page.get_by_role("alert")
    expect(alert).to_have_id("form-errors")
    expect(alert).to_contain_text(WRONG_CODE)
    expect(alert).to_contain_text("each works once")

    fresh = next_step_code(secret)
    assert submit_code(page, fresh) == 302
    expect(page).to_have_url(server.url("/"))
    sign_out(page, server)

    # A code that signed in once is refused the second time, as if seen over a shoulder.
    _sign_in_until_verify(page, server, REPLAY_USER)
    assert submit_code(page, fresh) == 401
    expect(page.get_by_role("alert")).to_contain_text(WRONG_CODE)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_five_wrong_codes_lock_verification(page: Page, twofold_server: RunningServer) -> None:
    server = twofold_server
    page.goto("/signin/")
    sign_in_with_password(page, server, LOCKOUT_USER)
    secret, _ = complete_wizard(page, server)
    sign_out(page, server)

    _sign_in_until_verify(page, server, LOCKOUT_USER)
    *first_four, fifth = wrong_codes(secret, 5)
    for code in first_four:
        assert submit_code(page, code) == 401
        expect(page.get_by_role("alert")).to_contain_text(WRONG_CODE)

    code_field(page).fill(fifth)
    with page.expect_response(lambda response: response.request.method == "POST") as answered:
        page.get_by_role("button", name="Verify").click()
    assert answered.value.status == 429
    assert answered.value.header_value("retry-after") is not None
    expect_verify_page(page, server)
    expect(page.get_by_role("alert")).to_contain_text(TOO_MANY)

    # While locked even the right code is refused.
    assert submit_code(page, next_step_code(secret)) == 429
    expect(page.get_by_role("alert")).to_contain_text(TOO_MANY)
    expect(page.get_by_role("button", name="Sign out")).to_have_count(0)


def test_malformed_code_is_explained(page: Page, twofold_server: RunningServer) -> None:
    server = twofold_server
    page.goto("/signin/")
    sign_in_with_password(page, server, MALFORMED_USER)
    expect_wizard_start(page, server)
    page.get_by_role("link", name="Next").click()
    page.get_by_role("link", name="I want to use a different authenticator app").click()
    secret = read_secret(page)
    page.get_by_label("Name for this app or device").fill("work phone")

    assert submit_code(page, "12ab", button="Next") == 400
    expect(page).to_have_url(server.url("/setup/method/authenticator_code/"))
    expect(page.locator("#id_code_error")).to_have_text("A code has exactly 6 digits, like 123456.")
    expect(code_field(page)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Name for this app or device")).to_have_value("work phone")

    # The same secret is still being set up: the app already holds it, a new one would not work.
    page.locator("summary", has_text="Can't scan the QR code?").click()
    expect(page.locator("#totp-secret")).to_have_text(
        " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))
    )
    # Spaces, as the app shows them, are fine.
    code = current_code(secret)
    assert submit_code(page, f"{code[:3]} {code[3:]}", button="Next") == 302
    expect(page).to_have_url(server.url("/setup/done/"))
    expect(page.locator("main .method-list")).to_contain_text("Authenticator app: work phone")


def test_wizard_cannot_be_bypassed(page: Page, twofold_server: RunningServer) -> None:
    server = twofold_server
    page.goto("/signin/")
    sign_in_with_password(page, server, BYPASS_USER)
    expect_wizard_start(page, server)

    for path in (
        "/",
        "/security-info/",
        "/security-info/add/authenticator_code/",
        "/security-info/default/",
        "/account/password/",
        "/setup/done/",
        "/signin/",
    ):
        page.goto(path)
        expect_wizard_start(page, server)

    # Nor by sending the "Done" form of the last page without having registered anything.
    token = page.locator("input[name=csrfmiddlewaretoken]").first.get_attribute("value")
    landed = page.evaluate(
        """async (token) => {
            const body = new FormData();
            body.append("csrfmiddlewaretoken", token);
            const response = await fetch("/setup/done/", {method: "POST", body});
            return new URL(response.url).pathname;
        }""",
        token,
    )
    assert landed == "/setup/"
    page.goto("/")
    expect_wizard_start(page, server)

"""Recent activity in a real browser: the sign-in is listed, and "This wasn't me" secures it.

The journey uses its own extra user (``E2E_USERS``): reporting raises a fraud alert that
blocks the account's second step for the rest of the session.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import E2E_USERS, RunningServer
from tests.e2e.journey import complete_wizard, sign_in_with_password

pytestmark = pytest.mark.browser

ACTIVITY_USER = E2E_USERS[6]
NEW_PASSWORD = "e2e-Another-passphrase-9"


def _fits_without_sideways_scrolling(page: Page) -> bool:
    return bool(
        page.evaluate(
            "() => document.documentElement.scrollWidth <= document.documentElement.clientWidth"
        )
    )


def test_user_reports_a_sign_in_as_not_theirs_and_changes_the_password(
    page: Page, twofold_server: RunningServer
) -> None:
    server = twofold_server
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    sign_in_with_password(page, server, ACTIVITY_USER)
    complete_wizard(page, server, label="phone")
    expect(page).to_have_url(server.url("/"))

    page.get_by_role("link", name="Recent activity").click()
    expect(page).to_have_url(server.url("/account/activity/"))
    expect(page.get_by_role("heading", level=1, name="Recent activity")).to_be_visible()
    sign_in = (
        page.locator("table.activity tbody tr", has_text="Sign-in")
        .filter(has_text="Succeeded")
        .first
    )
    expect(sign_in).to_contain_text("Chrome")
    expect(sign_in).to_contain_text("Linux")
    expect(sign_in).to_contain_text("127.0.0.1")
    expect(sign_in).to_contain_text("UTC")
    assert _fits_without_sideways_scrolling(page)

    sign_in.get_by_role("button", name="This wasn't me").click()
    expect(page).to_have_url(server.url("/account/activity/secure/"))
    expect(page.get_by_role("heading", level=1, name="Secure your account")).to_be_visible()
    main = page.locator("main")
    expect(main).to_contain_text("We alerted your administrators.")
    expect(main).to_contain_text("contact your administrator to get back in")
    assert _fits_without_sideways_scrolling(page)

    # The next step is right there: a new password, in the browser that stays signed in.
    page.get_by_label("Old password").fill(server.password(ACTIVITY_USER))
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    expect(page).to_have_url(server.url("/account/activity/"))
    expect(main).to_contain_text("Your password was changed.")
    expect(main).to_contain_text("You reported activity that wasn't yours")
    expect(page.locator("table.activity tbody tr", has_text="Reported").first).to_be_visible()

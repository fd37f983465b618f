"""Security info and app passwords on a 375 px phone screen: nothing scrolls sideways."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import E2E_USERS, RunningServer
from tests.e2e.journey import complete_wizard, sign_in_with_password

pytestmark = pytest.mark.browser

PHONE_USER = E2E_USERS[5]
LONG_NAME = "OutlookOnTheSharedReceptionDesktopInTheEastWingOfTheBuilding"


def _scrolls_sideways(page: Page) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth > window.innerWidth"))


def test_security_info_and_a_long_app_password_name_fit_a_phone_screen(
    page: Page, twofold_server: RunningServer
) -> None:
    server = twofold_server
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    sign_in_with_password(page, server, PHONE_USER)
    complete_wizard(page, server, label="phone")

    page.goto("/security-info/")
    row = page.locator("table.methods tbody tr").first
    expect(row).to_contain_text("Default")
    assert not _scrolls_sideways(page)

    assert len(LONG_NAME) == 60
    page.goto("/security-info/app-passwords/")
    page.get_by_label("Name of the app or device").fill(LONG_NAME)
    page.get_by_role("button", name="Create").click()
    expect(page.locator("main")).to_contain_text(LONG_NAME)
    assert not _scrolls_sideways(page)

    page.goto("/security-info/app-passwords/")
    expect(page.locator("table.methods")).to_contain_text(LONG_NAME)
    expect(page.locator("table.methods")).to_contain_text("Never")
    assert not _scrolls_sideways(page)

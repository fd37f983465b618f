"""Steps the browser journeys share: signing in, the security info wizard, authenticator codes.

Codes are computed with ``tests.conftest.totp_code`` (RFC 6238, independent of the product) at
the real current time: the server under test runs on the same machine and clock.
"""

from __future__ import annotations

import re
import time

from playwright.sync_api import Locator, Page, expect

from tests.conftest import totp_code
from tests.e2e.conftest import RunningServer

STEP_SECONDS = 30
# The secret as "Can't scan the QR code?" shows it: base32, in groups of four.
GROUPED_SECRET = re.compile(r"^[A-Z2-7]{4}( [A-Z2-7]{4})+$")


def username_field(page: Page) -> Locator:
    return page.get_by_label("Account name")


def password_field(page: Page) -> Locator:
    return page.get_by_label("Password", exact=True)


def code_field(page: Page) -> Locator:
    return page.get_by_label("Code", exact=True)


def sign_in_with_password(page: Page, server: RunningServer, principal_name: str) -> None:
    """Fill in and send the sign-in form that is already open."""
    username_field(page).fill(principal_name)
    password_field(page).fill(server.password(principal_name))
    page.get_by_role("button", name="Sign in").click()


def sign_out(page: Page, server: RunningServer) -> None:
    page.get_by_role("button", name="Sign out").click()
    expect(page).to_have_url(server.url("/signin/"))


def current_code(secret: str) -> str:
    return totp_code(secret, time.time())


def next_step_code(secret: str) -> str:
    """The code of the coming 30-second step.

    The server accepts one step either side of its own, so this works right now, and it is
    newer than a code taken with ``current_code`` a moment ago: codes are accepted once per
    method, and never one from a step at or before the last step that was used.
    """
    return totp_code(secret, time.time() + STEP_SECONDS)


def wrong_codes(secret: str, count: int) -> list[str]:
    """Distinct well-formed codes that no step near now produces for ``secret``."""
    now = time.time()
    near = {totp_code(secret, now + offset * STEP_SECONDS) for offset in range(-3, 4)}
    candidates = [digit * 6 for digit in "1234567890"]
    codes = [code for code in candidates if code not in near][:count]
    assert len(codes) == count
    return codes


def expect_wizard_start(page: Page, server: RunningServer) -> None:
    expect(page).to_have_url(server.url("/setup/"))
    expect(page.get_by_role("heading", level=1, name="Keep your account secure")).to_be_visible()
    expect(page.locator(".progress")).to_have_text("Method 1 of 1: Twofold Authenticator")


def check_qr_code(page: Page) -> None:
    """The QR code is an inline SVG image with a text alternative, and the browser shows it.

    Nothing here decodes it (no QR decoder is installed); the secret is read from the
    "Can't scan the QR code?" details instead.
    """
    image = page.locator("main figure img")
    expect(image).to_have_count(1)
    src = image.get_attribute("src") or ""
    assert src.startswith("data:image/svg+xml"), src[:60]
    alt = (image.get_attribute("alt") or "").strip()
    assert alt, "the QR code image has no alt text"
    expect(page.get_by_role("img", name=alt)).to_be_visible()
    # Decoded and drawn, so neither the page's CSP nor a broken data: URI stops it.
    assert image.evaluate("img => img.complete && img.naturalWidth > 0")


def read_secret(page: Page) -> str:
    """Open "Can't scan the QR code?" and read the secret key, without its spaces."""
    secret = page.locator("#totp-secret")
    expect(secret).to_be_hidden()
    page.locator("summary", has_text="Can't scan the QR code?").click()
    expect(secret).to_be_visible()
    grouped = secret.inner_text().strip()
    assert GROUPED_SECRET.match(grouped), grouped
    return grouped.replace(" ", "")


def complete_wizard(page: Page, server: RunningServer, *, label: str = "phone") -> tuple[str, str]:
    """From the wizard's first page to "My account"; returns (secret, code used to register)."""
    expect_wizard_start(page, server)
    page.get_by_role("link", name="Next").click()
    expect(page).to_have_url(server.url("/setup/method/authenticator_app/"))
    page.get_by_role("link", name="I want to use a different authenticator app").click()
    expect(page).to_have_url(server.url("/setup/method/authenticator_code/"))
    expect(page.locator(".progress")).to_have_text("Method 1 of 1: Authenticator app")
    check_qr_code(page)

    secret = read_secret(page)
    code = current_code(secret)
    code_field(page).fill(code)
    page.get_by_label("Name for this app or device").fill(label)
    page.get_by_role("button", name="Next").click()

    expect(page).to_have_url(server.url("/setup/done/"))
    expect(page.get_by_role("heading", level=1, name="Success!")).to_be_visible()
    expect(page.locator("main .method-list")).to_contain_text(f"Authenticator app: {label}")
    page.get_by_role("button", name="Done").click()
    return secret, code


def expect_verify_page(page: Page, server: RunningServer) -> None:
    expect(page).to_have_url(server.url("/signin/verify/"))
    expect(page.get_by_role("heading", level=1, name="Verify your identity")).to_be_visible()


def submit_code(page: Page, code: str, *, button: str = "Verify") -> int:
    """Type a code and send it; returns the HTTP status of the answer to the POST."""
    code_field(page).fill(code)
    with page.expect_response(lambda response: response.request.method == "POST") as answered:
        page.get_by_role("button", name=button).click()
    return answered.value.status

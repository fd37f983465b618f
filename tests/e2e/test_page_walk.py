"""Every sign-in, wizard and Security info page at 375 and 1280 px: no sideways scrolling, and
no WCAG 2.1 A/AA violation that axe-core finds.

One new user per width walks in from the sign-in page, through every page of the "Keep your
account secure" wizard (also after a code was sent and after a wrong code), to Security info and
every page it leads to, and signs in once more. A third user walks the same way in Dutch, whose
words are longer, at 375 px, where only sideways scrolling is checked.

The walk finds its way by ids, field names and form buttons rather than by English words, so
one walk serves both languages. Problems are gathered over the whole walk and reported
together, page by page.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    E2E_PASSWORD,
    PAGE_TIMEOUT_MS,
    RunningServer,
    _add_users,
    _server_env,
    _twofold_command,
)
from tests.e2e.journey import current_code, wrong_codes

pytestmark = pytest.mark.browser

PHONE_WIDTH, DESKTOP_WIDTH = 375, 1280
HEIGHT = 800
WALKERS = {
    PHONE_WIDTH: "walk-phone@contoso.example",
    DESKTOP_WIDTH: "walk-desktop@contoso.example",
}
DUTCH_WALKER = "walk-dutch@contoso.example"
# Numbers the dev phone answers for; one per walker, so no send limit is shared.
PHONE_NUMBERS = {
    WALKERS[PHONE_WIDTH]: "+31611000375",
    WALKERS[DESKTOP_WIDTH]: "+31611001280",
    DUTCH_WALKER: "+31611000031",
}
WRONG_PASSWORD = "not-the-Right-passphrase-9"

WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
AXE_OPTIONS = {"runOnly": {"type": "tag", "values": WCAG_TAGS}, "resultTypes": ["violations"]}
AXE = Axe()

# What sticks out past the right edge of the window, to say where a sideways scroll comes from.
WIDER_THAN_WINDOW = """() => {
    const width = window.innerWidth;
    const name = (element) => element.tagName.toLowerCase()
        + (element.id ? "#" + element.id : "")
        + [...element.classList].map((c) => "." + c).join("");
    return [...document.body.querySelectorAll("*")]
        .filter((element) => element.getBoundingClientRect().right > width + 0.5)
        .slice(0, 8)
        .map((element) => name(element) + " " + Math.round(element.getBoundingClientRect().right));
}"""

# Buttons and fields, by what they are rather than by their words.
SUBMIT = "main form button[type=submit].primary:not([name])"
SEND = "main button[name=action][value=send]"
START_OVER = "main button[form=registration-step]:not([value=resend])"
SIGN_OUT = "header form button[type=submit]"


@dataclass
class Walk:
    """Checks each page it is shown and keeps what was wrong, to report it all at the end."""

    page: Page
    run_axe: bool
    checked: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def check(self, name: str) -> None:
        page = self.page
        page.wait_for_load_state()
        url = urlsplit(page.url)
        where = f"{name} [{url.path}{'?' + url.query if url.query else ''}]"
        self.checked.append(where)
        # What a click would unfold ("Can't scan the QR code?") is checked unfolded.
        page.evaluate("document.querySelectorAll('main details').forEach((d) => (d.open = true))")
        scroll, window = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
        if scroll > window:
            culprits = ", ".join(page.evaluate(WIDER_THAN_WINDOW))
            self.problems.append(
                f"{where}: scrolls sideways ({scroll} px in a {window} px window): {culprits}"
            )
        if self.run_axe:
            for violation in AXE.run(page, options=AXE_OPTIONS).response["violations"]:
                targets = "; ".join(_target(node) for node in violation["nodes"])
                self.problems.append(
                    f"{where}: axe {violation['id']}: {violation['help']}: {targets}"
                )

    def check_refused(self, name: str) -> None:
        """A page that answers a form with what was wrong: checked with its message showing."""
        expect(self.page.locator("main .error, main [role=alert]").first).to_be_visible()
        self.check(name)

    def assert_clean(self) -> None:
        count, report = len(self.problems), "\n".join(self.problems)
        assert count == 0, f"{count} problems on {len(self.checked)} pages checked:\n{report}"


def _target(node: dict[str, Any]) -> str:
    # A target is a list of selectors, one per frame or shadow root on the way to the node.
    return " >> ".join(str(part) for part in node["target"])


@pytest.fixture(scope="module")
def walkers(twofold_server: RunningServer) -> RunningServer:
    """The users who walk: new, so each sees the wizard once."""
    names = (*WALKERS.values(), DUTCH_WALKER)
    env = _server_env(twofold_server.data_dir)
    _add_users(_twofold_command(), names, E2E_PASSWORD, env, twofold_server.data_dir)
    twofold_server.accounts.update(dict.fromkeys(names, E2E_PASSWORD))
    return twofold_server


@pytest.fixture
def context_page(browser: Browser, walkers: RunningServer) -> Iterator[Page]:
    context = browser.new_context(base_url=walkers.base_url, locale="en-GB")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()


def _go(walk: Walk, path: str, name: str) -> None:
    walk.page.goto(path)
    walk.check(name)


def _submit(page: Page, selector: str = SUBMIT) -> None:
    """Send a form and wait for the page it answers with (after any redirect)."""
    with page.expect_navigation():
        page.locator(selector).first.click()


def _sign_in(page: Page, name: str, password: str) -> None:
    page.locator("#id_username").fill(name)
    page.locator("#id_password").fill(password)
    _submit(page, "main form button[type=submit]")


def _secret(page: Page) -> str:
    return (page.locator("#totp-secret").text_content() or "").replace(" ", "").strip()


def _walk_sign_in(walk: Walk, name: str) -> None:
    page = walk.page
    _go(walk, "/signin/", "sign in")
    _sign_in(page, name, WRONG_PASSWORD)
    walk.check_refused("sign in, wrong password")
    _sign_in(page, name, E2E_PASSWORD)
    walk.check("wizard start")


def _links(page: Page, prefix: str) -> list[str]:
    paths: list[str] = page.locator(f"main a[href^='{prefix}']").evaluate_all(
        "links => links.map((link) => link.getAttribute('href'))"
    )
    assert len(paths) >= 5, paths
    # Registering an authenticator app leaves the page for the next one: it goes last.
    return sorted(paths, key=lambda path: path.endswith("/authenticator_code/"))


def _walk_wizard(walk: Walk, name: str) -> str:
    """The wizard's pages, ending with an authenticator app registered; returns its secret."""
    page = walk.page
    # With nothing registered yet, a fresh verification means the password.
    _go(walk, "/security-info/verify/?next=/setup/", "verify with password")
    page.locator("#id_password").fill(WRONG_PASSWORD)
    _submit(page)
    walk.check_refused("verify with password, wrong password")

    _go(walk, "/setup/choose/", "wizard, choose a method")
    for path in _links(page, "/setup/method/"):
        kind = path.split("/")[-2]
        where = f"wizard {kind}"
        _go(walk, path, where)
        if kind == "phone_text":
            _send_a_code(walk, where, "#id_number", PHONE_NUMBERS[name])
        elif kind == "email":
            _send_a_code(walk, where, "#id_email", name.replace("@", ".home@"))
        elif kind == "phone_call":
            page.locator("#id_number").fill(PHONE_NUMBERS[name])
            _submit(page, SEND)
            walk.check(f"{where}, calling")
            _submit(page)
            walk.check_refused(f"{where}, not answered yet")
        elif kind in ("security_questions", "security_key"):
            _submit(page)
            walk.check_refused(f"{where}, nothing filled in")
        elif kind == "authenticator_app":
            _submit(page)
            walk.check_refused(f"{where}, app not added yet")
        elif kind == "authenticator_code":
            secret = _register_authenticator(walk, where, "phone")
    walk.check("wizard done")
    _submit(page, "main form button.primary")
    walk.check("my account")
    return secret


def _send_a_code(walk: Walk, where: str, contact_field: str, contact: str) -> None:
    page = walk.page
    page.locator(contact_field).fill(contact)
    _submit(page, SEND)
    walk.check(f"{where}, code sent")
    page.locator("#id_code").fill("000000")
    _submit(page)
    walk.check_refused(f"{where}, wrong code")


def _register_authenticator(walk: Walk, where: str, label: str) -> str:
    page = walk.page
    secret = _secret(page)
    page.locator("#id_code").fill(wrong_codes(secret, 1)[0])
    page.locator("#id_label").fill(label)
    _submit(page)
    walk.check_refused(f"{where}, wrong code")
    page.locator("#id_code").fill(current_code(secret))
    _submit(page)
    return secret


def _walk_security_info(walk: Walk) -> None:
    page = walk.page
    _go(walk, "/security-info/", "security info")
    # A second method, so that there is a default to change and a sign-in to choose.
    for path in _links(page, "/security-info/add/"):
        kind = path.split("/")[-2]
        _go(walk, path, f"add {kind}")
        if kind == "email":
            # The same steps as in the wizard, inside Security info's own page. The code the
            # wizard sent may still be waiting: "Use a different address" first.
            if page.locator("#id_code").count():
                _submit(page, START_OVER)
                walk.check(f"add {kind}, another address")
            _send_a_code(walk, f"add {kind}", "#id_email", "walk.other@contoso.example")
        elif kind == "authenticator_code":
            _register_authenticator(walk, f"add {kind}", "tablet")
    walk.check("security info, method added")
    delete = page.locator("main a[href$='/delete/']").first.get_attribute("href") or ""

    _go(walk, "/security-info/default/", "change default method")
    _go(walk, delete, "delete method")

    _go(walk, "/security-info/verify/?next=/security-info/", "verify identity")
    other = page.locator("main .method-choices a").first.get_attribute("href") or ""
    _go(walk, "/security-info/verify/" + other, "verify identity, another method")

    _go(walk, "/security-info/app-passwords/", "app passwords, none yet")
    _submit(page)
    walk.check_refused("app passwords, no name")
    page.locator("#id_name").fill("Mail on the old laptop")
    _submit(page)
    walk.check("app password created")
    _go(walk, "/security-info/app-passwords/", "app passwords")

    _go(walk, "/setup/app-password/", "wizard app password")
    _go(walk, "/setup/reconfirm/", "wizard, is your info still right")

    _go(walk, "/account/password/", "change password")
    page.locator("#id_old_password").fill(WRONG_PASSWORD)
    _submit(page)
    walk.check_refused("change password, wrong password")


def _walk_sign_in_again(walk: Walk, name: str, secret: str) -> None:
    page = walk.page
    _submit(page, SIGN_OUT)
    walk.check("signed out")
    _sign_in(page, name, E2E_PASSWORD)
    walk.check("verify your identity")
    page.locator("#id_code").fill(wrong_codes(secret, 1)[0])
    _submit(page)
    walk.check_refused("verify your identity, wrong code")
    _go(walk, "/signin/verify/other/", "sign in another way")


def _walk_everything(walk: Walk, name: str) -> None:
    _walk_sign_in(walk, name)
    secret = _walk_wizard(walk, name)
    _walk_security_info(walk)
    _walk_sign_in_again(walk, name, secret)


@pytest.mark.parametrize("width", [PHONE_WIDTH, DESKTOP_WIDTH])
def test_every_page_fits_the_screen_and_passes_axe(context_page: Page, width: int) -> None:
    context_page.set_viewport_size({"width": width, "height": HEIGHT})
    walk = Walk(context_page, run_axe=True)
    _walk_everything(walk, WALKERS[width])
    print("\n".join(walk.checked))
    walk.assert_clean()


def test_every_page_fits_a_phone_screen_in_dutch(context_page: Page) -> None:
    page = context_page
    page.set_viewport_size({"width": PHONE_WIDTH, "height": HEIGHT})
    page.goto("/signin/")
    _submit(page, "footer button[name=language][value=nl]")
    assert page.locator("html").get_attribute("lang") == "nl"
    walk = Walk(page, run_axe=False)
    _walk_everything(walk, DUTCH_WALKER)
    walk.assert_clean()

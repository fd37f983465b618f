"""Two Twofold processes sharing PostgreSQL and Redis: an app answering on node B releases
the browser waiting on node A, and every step of the journey may land on either node.

Runs where the suite is given PostgreSQL and Redis (``TWOFOLD_DATABASE_URL``,
``TWOFOLD_REDIS_URL``, as ``make test``'s second pass does); the servers get their own database.
"""

from __future__ import annotations

import html
import os
import re
import threading
import time
from collections.abc import Iterator
from typing import Any

import psycopg
import pytest
import requests

from tests.e2e.conftest import _add_users, _run, _server_env, _twofold_command, serving
from tests.push.soft_device import SoftDevice

DATABASE_URL = os.environ.get("TWOFOLD_DATABASE_URL", "")
REDIS_URL = os.environ.get("TWOFOLD_REDIS_URL", "")
PASSWORD = "two-Nodes-passphrase-9"
USER = "nodes@contoso.example"

pytestmark = pytest.mark.skipif(
    not DATABASE_URL.startswith("postgres") or not REDIS_URL,
    reason="two nodes need a shared PostgreSQL and Redis: set TWOFOLD_DATABASE_URL "
    "(postgres://...) and TWOFOLD_REDIS_URL",
)


@pytest.fixture(scope="module")
def two_nodes(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    database = f"twofold_nodes_{os.getpid()}"
    with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{database}"')
        admin.execute(f'CREATE DATABASE "{database}"')
    workdir = tmp_path_factory.mktemp("two-nodes")
    # One data folder: both nodes read the same secret and encryption keys.
    env = _server_env(workdir / "data")
    env["TWOFOLD_DATABASE_URL"] = DATABASE_URL.rsplit("/", 1)[0] + "/" + database
    env["TWOFOLD_REDIS_URL"] = REDIS_URL.rsplit("/", 1)[0] + "/13"
    twofold = _twofold_command()
    try:
        _run([*twofold, "migrate", "--no-input"], env, workdir)
        _add_users(twofold, (USER,), PASSWORD, env, workdir)
        node_a_dir = workdir / "a"
        node_b_dir = workdir / "b"
        node_a_dir.mkdir()
        node_b_dir.mkdir()
        with serving(node_a_dir, env) as (node_a, _), serving(node_b_dir, env) as (node_b, _):
            yield node_a, node_b
    finally:
        with psycopg.connect(DATABASE_URL, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


class Browser:
    """A browser reduced to what the pages need: cookies, the CSRF token, forms."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.session = requests.Session()
        self.page = ""

    def get(self, path: str) -> requests.Response:
        response = self.session.get(self.base_url + path, timeout=30)
        self.page = response.text
        return response

    def post(self, path: str, data: dict[str, str]) -> requests.Response:
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', self.page)
        assert token, "the page has a form"
        response = self.session.post(
            self.base_url + path,
            data={"csrfmiddlewaretoken": token.group(1), **data},
            headers={"Referer": self.base_url + path},
            timeout=30,
        )
        self.page = response.text
        return response

    def find(self, pattern: str) -> str:
        match = re.search(pattern, self.page)
        assert match, f"{pattern!r} not on the page:\n{self.page[:3000]}"
        return html.unescape(match.group(1))


def _device_poll(device: SoftDevice, node: str) -> list[dict[str, Any]]:
    response = requests.get(
        node + "/push/api/poll", params={**device.poll_query(), "wait": "5"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return response.json()["challenges"]


def _device_answer(device: SoftDevice, node: str, challenge: dict[str, Any], number: str) -> str:
    response = requests.post(
        node + "/push/api/respond",
        json=device.answer_body(challenge, "approve", number),
        timeout=10,
    )
    assert response.status_code == 200, response.text
    return response.json()["result"]


def _wait_in_background(browser: Browser, wait_url: str) -> tuple[threading.Thread, dict[str, Any]]:
    outcome: dict[str, Any] = {}

    def wait() -> None:
        started = time.monotonic()
        response = browser.session.get(browser.base_url + wait_url + "?wait=25", timeout=30)
        outcome["seconds"] = time.monotonic() - started
        outcome["status"] = response.json()["status"]

    thread = threading.Thread(target=wait)
    thread.start()
    return thread, outcome


def test_answer_on_one_node_releases_the_browser_waiting_on_the_other(
    two_nodes: tuple[str, str],
) -> None:
    node_a, node_b = two_nodes
    browser = Browser(node_a)
    browser.get("/signin/")
    signed_in = browser.post("/signin/", {"username": USER, "password": PASSWORD})
    assert signed_in.url.endswith("/setup/"), signed_in.url

    # Registration: the page on A, the app activating and answering on B.
    browser.get("/setup/method/authenticator_app/")
    code = browser.find(r'<code id="activation-code">([^<]+)</code>')
    device = SoftDevice()
    activated = requests.post(
        node_b + "/push/api/activate", json=device.activation_body(code), timeout=10
    )
    assert activated.status_code == 200, activated.text
    device.device_id = activated.json()["device_id"]
    browser.post("/setup/method/authenticator_app/", {"action": "check"})
    number = browser.find(r'class="push-number"[^>]*>(\d\d)<')
    (test_notification,) = _device_poll(device, node_b)
    assert test_notification["purpose"] == "activation-test"
    assert _device_answer(device, node_b, test_notification, number) == "approved"
    done = browser.post("/setup/method/authenticator_app/", {"action": "finish"})
    assert done.status_code == 200 and "/setup/done/" in done.url, done.url

    # Sign-in on A: the browser waits on A while the app approves on B.
    browser.session.cookies.clear()
    browser.get("/signin/")
    browser.post("/signin/", {"username": USER, "password": PASSWORD})
    assert "/signin/verify/" in browser.get("/signin/verify/").url
    number = browser.find(r'class="push-number"[^>]*>(\d\d)<')
    wait_url = browser.find(r'data-push-wait="([^"]+)"')
    (challenge,) = _device_poll(device, node_b)
    assert challenge["purpose"] == "sign-in"

    thread, outcome = _wait_in_background(browser, wait_url)
    time.sleep(0.5)  # the browser is waiting on A before the answer goes to B
    answered_at = time.monotonic()
    assert _device_answer(device, node_b, challenge, number) == "approved"
    thread.join(timeout=30)
    released_after = time.monotonic() - answered_at
    assert outcome["status"] == "answered"
    assert released_after < 2.0, f"the browser on A waited {released_after:.2f} s after the answer"

    verified = browser.post("/signin/verify/", {"code": ""})
    assert verified.status_code == 200
    assert "/signin/" not in verified.url, verified.url
    assert "Sign out" in verified.text

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import FrozenClock
from tests.push.conftest import register_device
from tests.sspr.helpers import start
from twofold.accounts.models import User
from twofold.push import services

pytestmark = pytest.mark.django_db

PAGE = "/reset/verify/authenticator_app/"


def wait_token_on(page) -> str:
    match = re.search(r"/push/wait/([^/\"?]+)", page.content.decode())
    assert match, "the page waits for the app's answer"
    return match.group(1)


def test_an_approved_notification_resets_the_password(adele: User, clock: FrozenClock) -> None:
    device, _ = register_device(adele)
    client = Client()
    start(client, adele.username)
    page = client.get(PAGE)
    (notification,) = device.pending()
    assert notification["purpose"] == "password-reset"
    assert device.approve_latest(page.context["number"]) == "approved"

    response = client.post(PAGE, {"code": ""})
    assert response["Location"] == "/reset/verify/"
    assert client.get("/reset/verify/")["Location"].startswith("/reset/password/")


def test_a_name_without_the_app_gets_a_page_just_like_it(make_user, clock: FrozenClock) -> None:
    register_device(make_user("adele@contoso.example"))
    seen = []
    for name in ["adele@contoso.example", "nobody@contoso.example"]:
        client = Client()
        start(client, name)
        page = client.get(PAGE)
        token = wait_token_on(page)
        assert re.fullmatch(r"\d\d", page.context["number"])
        digest = services.wait_digest(token)
        waiting = services.wait_status(digest, clock.now())
        reloaded = client.get(PAGE)
        assert wait_token_on(reloaded) == token, "a reload shows the same notification"
        clock.advance(120)
        when_expired = services.wait_status(digest, clock.now())
        sent_again = client.get(PAGE)
        seen.append(
            (
                len(token),
                waiting,
                when_expired,
                # The next page sends a new one, which replaces the expired one.
                wait_token_on(sent_again) != token,
                services.wait_status(digest, clock.now()),
                client.post(PAGE, {"code": ""}).status_code,
            )
        )
        clock.advance(-120)
    assert seen[0] == seen[1]
    assert seen[0][1:5] == (None, "expired", True, "answered")


def test_posting_before_the_app_answers_locks_real_and_unknown_names_alike(
    make_user, clock: FrozenClock
) -> None:
    register_device(make_user("adele@contoso.example"))
    statuses = []
    for name in ["adele@contoso.example", "nobody@contoso.example"]:
        client = Client()
        start(client, name)
        client.get(PAGE)
        statuses.append([client.post(PAGE, {"code": ""}).status_code for _ in range(5)])
    assert statuses[0] == statuses[1], "the lockout must not tell which names have the app"
    assert statuses[0][-1] == 429

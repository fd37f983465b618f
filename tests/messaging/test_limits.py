"""Texts and calls cost money: their limits hold with the cache down and under races."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD, FrozenClock
from tests.core.dead_cache import cache_down
from tests.messaging.calls import SCRIPT
from twofold.accounts.models import User
from twofold.messaging import services
from twofold.messaging.models import Outbound
from twofold.messaging.services import SendRefused, place_call, send_text

pytestmark = pytest.mark.django_db

TOO_MANY = "Too many texts or calls were sent"
# Seconds before each send: three free, then the doubling backoff (30, 60, 120 s).
BACKOFF_WAITS = [0, 0, 0, 30, 60, 120]


@pytest.fixture
def lee(make_user: Callable[..., User]) -> User:
    return make_user("lee@contoso.example", mobile_phone="+31612345678")


def numbers(count: int) -> list[str]:
    # Different numbers, so only the per-user limit (5 per 15 minutes) applies.
    return [f"+3161234{5670 + i:04d}" for i in range(count)]


def test_with_the_cache_down_eight_texts_asked_five_sent(lee: User, clock: FrozenClock) -> None:
    outcomes: list[str] = []
    with cache_down():
        for number in numbers(8):
            try:
                send_text(lee, number, "123456 is your code", purpose="test")
                outcomes.append("sent")
            except SendRefused as refused:
                outcomes.append(refused.message)
    assert outcomes[:5] == ["sent"] * 5
    assert all(TOO_MANY in outcome for outcome in outcomes[5:])
    assert Outbound.objects.count() == 5


def test_with_the_cache_down_calls_are_limited_too(lee: User, clock: FrozenClock) -> None:
    sent = 0
    with cache_down():
        for number in numbers(8):
            try:
                place_call(lee, number, "", purpose="test", script=SCRIPT)
                sent += 1
            except SendRefused:
                pass
    assert sent == 5


def test_with_the_cache_down_the_page_explains_the_limit(lee: User, clock: FrozenClock) -> None:
    with cache_down():
        client = Client()
        client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
        statuses, last = [], None
        for wait in BACKOFF_WAITS:
            clock.advance(wait)
            data = {"action": "send", "region": "NL", "number": "0612345678"}
            last = client.post("/setup/method/phone_text/", data)
            statuses.append(last.status_code)
    assert statuses == [200] * 5 + [400]
    assert last is not None and TOO_MANY in last.content.decode()
    # The number's hour in registration began with the first text, 3.5 minutes earlier.
    assert "You can ask for another code or call in 57 minutes." in last.content.decode()
    assert Outbound.objects.count() == 5


def test_with_the_cache_down_the_backoff_still_holds(lee: User, clock: FrozenClock) -> None:
    with cache_down():
        for _ in range(3):
            send_text(lee, "+31612345678", "code", purpose="test")
        with pytest.raises(SendRefused, match="You can ask for another code or call in 30 seconds"):
            send_text(lee, "+31612345678", "code", purpose="test")
        clock.advance(30)
        send_text(lee, "+31612345678", "code", purpose="test")
    assert Outbound.objects.count() == 4


@pytest.mark.django_db(transaction=True)
def test_two_sends_racing_for_the_last_one_cannot_both_pass(
    lee: User, monkeypatch: pytest.MonkeyPatch
) -> None:
    for number in numbers(4):
        send_text(lee, number, "code", purpose="test")
    slow_backoff = services._check_backoff

    def held_up(sender: services.Sender, to_number: str, budget: str) -> None:
        # Between counting and writing the row: where a check-then-count race would let
        # both through.
        time.sleep(0.3)
        slow_backoff(sender, to_number, budget)

    monkeypatch.setattr(services, "_check_backoff", held_up)
    start = threading.Barrier(2)
    results: list[str] = []

    def send(number: str) -> None:
        start.wait()
        try:
            send_text(lee, number, "code", purpose="test")
            results.append("sent")
        except SendRefused:
            results.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(n,)) for n in numbers(6)[4:]]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == ["refused", "sent"]
    assert Outbound.objects.count() == 5

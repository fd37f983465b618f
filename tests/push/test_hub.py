"""Wake-ups for waiters (twofold.push.hub): in one process, across nodes through Redis, and
with Redis gone (waiters look again every second)."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import redis

from twofold.core import shared_cache
from twofold.push.hub import CHANNEL_PREFIX, FALLBACK_RECHECK_SECONDS, Hub, RedisHub

REDIS_URL = "redis://127.0.0.1:6379/15"
DEAD_REDIS_URL = "redis://127.0.0.1:1/0"


class Flag:
    """What a waiter checks: set by "another request" (a thread), counted per check."""

    def __init__(self) -> None:
        self.raised = threading.Event()
        self.checked = threading.Event()
        self.checks = 0

    async def check(self) -> str | None:
        self.checks += 1
        self.checked.set()
        return "answered" if self.raised.is_set() else None


def in_background(action: Callable[[], None]) -> threading.Thread:
    thread = threading.Thread(target=action, daemon=True)
    thread.start()
    return thread


async def timed_wait(hub: Hub, channel: str, flag: Flag, timeout: float = 10):
    started = time.monotonic()
    result = await hub.wait_for(channel, timeout, flag.check)
    return result, time.monotonic() - started


def channel() -> str:
    return f"wait:test-{uuid.uuid4().hex}"


# --- One process ------------------------------------------------------------------------


def test_publish_from_another_thread_wakes_the_waiter() -> None:
    hub, flag, name = Hub(), Flag(), channel()

    def answer() -> None:
        assert flag.checked.wait(5)
        flag.raised.set()
        hub.publish(name)

    thread = in_background(answer)
    result, seconds = asyncio.run(timed_wait(hub, name, flag))
    thread.join()
    assert result == "answered"
    assert seconds < 1.0, "woken at once, not at the end of the 10 s wait"
    assert len(hub.local) == 0


def test_publish_on_another_channel_does_not_wake_the_waiter() -> None:
    hub, flag, name = Hub(), Flag(), channel()

    async def scenario() -> Any:
        waiting = asyncio.ensure_future(hub.wait_for(name, 0.3, flag.check))
        while not flag.checked.is_set():
            await asyncio.sleep(0)
        hub.publish(channel())
        return await waiting

    assert asyncio.run(scenario()) is None
    # Wake-ups are reliable here, and nothing woke it: running out needs no second look.
    assert flag.checks == 1, "checked at the start only"


def test_answer_landing_during_the_first_check_is_not_missed() -> None:
    """The waiter registers before it first checks, so an answer published right after the
    check looked (and before the wait began) still wakes it."""
    hub, name = Hub(), channel()
    answered = False

    async def check() -> str | None:
        nonlocal answered
        result = "answered" if answered else None
        if not answered:
            answered = True
            hub.publish(name)  # the answer lands just after the database was read
        return result

    async def scenario() -> tuple[Any, float]:
        started = time.monotonic()
        return await hub.wait_for(name, 10, check), time.monotonic() - started

    result, seconds = asyncio.run(scenario())
    assert result == "answered"
    assert seconds < 1.0


def test_wake_up_during_a_slow_first_look_does_not_wait_for_it() -> None:
    """A first look stuck behind many others (thousands of renewed waits) is dropped for a
    fresh one when the answer's wake-up arrives."""
    hub, name = Hub(), channel()
    looks: list[float] = []

    async def check() -> str | None:
        looks.append(time.monotonic())
        if len(looks) == 1:
            await asyncio.sleep(5)  # queued
            return None
        return "answered"

    async def scenario() -> tuple[str | None, float]:
        waiting = asyncio.ensure_future(hub.wait_for(name, 10, check))
        while not looks:
            await asyncio.sleep(0)
        published = time.monotonic()
        hub.publish(name)
        return await waiting, time.monotonic() - published

    result, seconds = asyncio.run(scenario())
    assert result == "answered"
    assert seconds < 1.0, f"released {seconds:.2f} s after the wake-up"
    assert len(looks) == 2
    assert len(hub.local) == 0


def test_wait_ends_with_none_after_the_timeout() -> None:
    hub, flag = Hub(), Flag()
    result, seconds = asyncio.run(timed_wait(hub, channel(), flag, timeout=0.2))
    assert result is None
    assert 0.15 <= seconds < 1.0
    assert len(hub.local) == 0


# --- Across nodes through Redis ---------------------------------------------------------


@pytest.fixture
def redis_reachable() -> None:
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
    except OSError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379 (needed for the hub across nodes)")


@pytest.fixture
def two_hubs(redis_reachable: None) -> Iterator[tuple[RedisHub, RedisHub]]:
    node_a, node_b = RedisHub(REDIS_URL), RedisHub(REDIS_URL)
    yield node_a, node_b
    node_a._publisher.close()
    node_b._publisher.close()


def deliveries(hub: RedisHub, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The channels ``hub`` is woken on by its Redis subscription (its publish() aside)."""
    delivered: list[str] = []
    wake = hub.local.wake
    monkeypatch.setattr(hub.local, "wake", lambda woken: (delivered.append(woken), wake(woken))[1])
    return delivered


async def until_listening(delivered: list[str]) -> None:
    """Until a probe published straight to Redis has reached the hub's subscription.

    redis-py 8.1 (with hiredis) can lose a task's cancellation that arrives in the first few
    milliseconds after a pattern subscription, and then asyncio.run() never returns; a test
    that ends that soon after its hub subscribed would hang. Once a message has come through,
    the listener is past that window.
    """
    probe = f"probe-{uuid.uuid4().hex}"
    client = redis.Redis.from_url(REDIS_URL)
    try:
        deadline = time.monotonic() + 5
        while probe not in delivered:
            assert time.monotonic() < deadline, "the hub's subscription delivers messages"
            await asyncio.to_thread(client.publish, CHANNEL_PREFIX + probe, b"1")
            for _ in range(20):
                if probe in delivered:
                    break
                await asyncio.sleep(0.005)
    finally:
        client.close()


def test_publish_on_one_node_wakes_the_waiter_on_the_other(
    two_hubs: tuple[RedisHub, RedisHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    node_a, node_b = two_hubs
    flag, name = Flag(), channel()
    # Only a wake-up through node A's Redis subscription counts (its own publish() is never
    # called); the "look again" it gives everyone when it (re)subscribes is left out.
    monkeypatch.setattr(node_a.local, "wake_all", lambda: None)
    delivered = deliveries(node_a, monkeypatch)
    done = threading.Event()
    raised_at: list[float] = []

    def answer_on_node_b() -> None:
        assert flag.checked.wait(5)
        flag.raised.set()
        raised_at.append(time.monotonic())
        # Until node A's subscription is in place at the server a message can pass it by;
        # publishing again is what a second answer on node B would do.
        while not done.is_set():
            node_b.publish(name)
            done.wait(0.05)

    async def scenario() -> Any:
        try:
            return await node_a.wait_for(name, 10, flag.check)
        finally:
            done.set()
            await until_listening(delivered)

    thread = in_background(answer_on_node_b)
    try:
        result = asyncio.run(scenario())
    finally:
        done.set()
        thread.join()
    seconds = time.monotonic() - raised_at[0]
    assert result == "answered"
    assert name in delivered, "node A was woken through Redis"
    assert seconds < 1.0, f"node A answered {seconds:.2f} s after node B published"
    assert len(node_a.local) == 0


def test_publish_on_one_node_also_wakes_its_own_waiters(
    two_hubs: tuple[RedisHub, RedisHub], monkeypatch: pytest.MonkeyPatch
) -> None:
    node_a, _ = two_hubs
    flag, name = Flag(), channel()
    delivered = deliveries(node_a, monkeypatch)

    async def scenario() -> tuple[Any, float]:
        outcome = await timed_wait(node_a, name, flag)
        await until_listening(delivered)
        return outcome

    def answer() -> None:
        assert flag.checked.wait(5)
        flag.raised.set()
        node_a.publish(name)

    thread = in_background(answer)
    result, seconds = asyncio.run(scenario())
    thread.join()
    assert result == "answered"
    assert seconds < 1.0


# --- Redis gone -------------------------------------------------------------------------


def outage_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "twofold.core.shared_cache"]


@pytest.fixture
def cache_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """The outage is logged once per process: start from "the cache is up"."""
    monkeypatch.setattr(shared_cache, "_down_since", None)


def test_with_redis_unreachable_the_waiter_rechecks_every_second(
    caplog: pytest.LogCaptureFixture, cache_up: None
) -> None:
    hub, flag, name = RedisHub(DEAD_REDIS_URL), Flag(), channel()
    # Only the recheck may find the answer: no publish, and no wake-ups from reconnecting.
    hub.local.wake_all = lambda: None  # type: ignore[method-assign]
    raised_at: list[float] = []

    def answer_without_a_wake_up() -> None:
        assert flag.checked.wait(5)
        flag.raised.set()
        raised_at.append(time.monotonic())

    thread = in_background(answer_without_a_wake_up)
    with caplog.at_level(logging.WARNING):
        result = asyncio.run(hub.wait_for(name, 10, flag.check))
    thread.join()
    seconds = time.monotonic() - raised_at[0]
    assert result == "answered"
    assert seconds < FALLBACK_RECHECK_SECONDS + 0.5, f"found {seconds:.2f} s after the answer"
    assert flag.checks >= 2
    warnings = outage_warnings(caplog)
    assert len(warnings) == 1, "the outage is logged once, however often it reconnects"
    assert "push hub" in warnings[0].getMessage() and warnings[0].exc_info is None


def test_with_redis_unreachable_publish_still_wakes_local_waiters(
    caplog: pytest.LogCaptureFixture, cache_up: None
) -> None:
    hub, flag, name = RedisHub(DEAD_REDIS_URL), Flag(), channel()

    def answer() -> None:
        assert flag.checked.wait(5)
        flag.raised.set()
        hub.publish(name)

    thread = in_background(answer)
    with caplog.at_level(logging.WARNING):
        result, seconds = asyncio.run(timed_wait(hub, name, flag))
    thread.join()
    assert result == "answered"
    assert seconds < 1.5
    assert [r.levelno for r in outage_warnings(caplog)] == [logging.WARNING]

"""The two long polls served straight from ASGI (twofold.push.longpoll), driven as an ASGI app
with hand-made scope, receive and send: no HTTP server, the real clock.

Each test gets its own in-process hub, so waiters counted are the test's own; the Redis hub's
delivery is tested in test_hub (and end to end in test_two_nodes)."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlencode

import pytest
from django.db import connections

from tests.push.conftest import send
from tests.push.soft_device import SoftDevice
from twofold.accounts.models import User
from twofold.push import hub as hub_module
from twofold.push import services
from twofold.push.hub import Hub, get_hub
from twofold.push.longpoll import POLL_PATH, LongPollRouter
from twofold.push.models import PushChallenge

# The router reaches the database from executor threads: they must see committed rows.
# (Routing alone needs no database, and PostgreSQL's flush after each test costs time.)
threads_use_db = pytest.mark.django_db(transaction=True)


class Exchange:
    """One request: the body arrives at once, then receive() blocks until the client leaves."""

    def __init__(self) -> None:
        self.messages: list[Mapping[str, Any]] = []
        self.left = asyncio.Event()
        self._body_given = False

    async def receive(self) -> Mapping[str, Any]:
        if not self._body_given:
            self._body_given = True
            return {"type": "http.request", "body": b"", "more_body": False}
        await self.left.wait()
        return {"type": "http.disconnect"}

    async def send(self, message: Mapping[str, Any]) -> None:
        self.messages.append(message)

    @property
    def status(self) -> int:
        return self.messages[0]["status"]

    @property
    def headers(self) -> dict[bytes, bytes]:
        return dict(self.messages[0]["headers"])

    @property
    def body(self) -> Any:
        return json.loads(self.messages[1]["body"])


class InnerApp:
    """Stands in for Django: records what it was handed."""

    def __init__(self) -> None:
        self.scopes: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.scopes.append(scope)
        if scope["type"] == "http":
            await send({"type": "http.response.start", "status": 299, "headers": []})
            await send({"type": "http.response.body", "body": b"from django"})


def scope_for(path: str, query: Mapping[str, str] | None = None, method: str = "GET"):
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": urlencode(query or {}).encode(),
        "headers": [(b"accept", b"application/json")],
        "client": ("198.51.100.4", 50000),
    }


async def request(
    router: LongPollRouter, path: str, query: Mapping[str, str] | None = None, method: str = "GET"
) -> Exchange:
    exchange = Exchange()
    await router(scope_for(path, query, method), exchange.receive, exchange.send)
    return exchange


async def in_thread(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    """Database work the way another request would do it: its own thread and connection."""

    def run() -> Any:
        try:
            return function(*args, **kwargs)
        finally:
            connections.close_all()

    return await asyncio.to_thread(run)


async def until_waiting(count: int = 1) -> None:
    deadline = time.monotonic() + 5
    while len(get_hub().local) < count:
        assert time.monotonic() < deadline, "the long poll registered its waiter"
        await asyncio.sleep(0.005)


async def forgotten() -> bool:
    """Whether every waiter is gone once the cancelled wait has run its cleanup (the router
    cancels it without awaiting, so that takes a few turns of the loop, not time)."""
    for _ in range(100):
        if len(get_hub().local) == 0:
            return True
        await asyncio.sleep(0)
    return False


@pytest.fixture(autouse=True)
def hub(monkeypatch: pytest.MonkeyPatch) -> Hub:
    fresh = Hub()
    monkeypatch.setattr(hub_module, "_hub", fresh)
    return fresh


@pytest.fixture
def router() -> LongPollRouter:
    return LongPollRouter(InnerApp())


@pytest.fixture
def device(adele: User) -> SoftDevice:
    """An app in its activation (known for 10 minutes of the real clock)."""
    device = SoftDevice()
    device.activate(services.start_activation(adele, "JBSWY3DPEHPK3PXP").code)
    return device


# --- The page waiting for the app's answer ------------------------------------------------


@threads_use_db
def test_wait_returns_promptly_once_the_app_answers(
    router: LongPollRouter, adele: User, device: SoftDevice
) -> None:
    sent = send(adele, device, "activation-test")
    challenge = device.pending()[0]

    async def scenario() -> tuple[Exchange, float]:
        waiting = asyncio.ensure_future(
            request(router, f"/push/wait/{sent.wait_token}", {"wait": "10"})
        )
        await until_waiting()
        answered_at = time.monotonic()
        assert await in_thread(device.answer, challenge, "approve", sent.number) == "approved"
        exchange = await waiting
        return exchange, time.monotonic() - answered_at

    exchange, seconds = asyncio.run(scenario())
    assert (exchange.status, exchange.body) == (200, {"status": "answered"})
    assert seconds < 1.0, f"the page was released {seconds:.2f} s after the answer"
    assert exchange.headers[b"cache-control"] == b"no-store"
    assert exchange.headers[b"content-type"] == b"application/json"
    assert len(get_hub().local) == 0


@threads_use_db
def test_wait_on_an_answered_notification_returns_at_once(
    router: LongPollRouter, adele: User, device: SoftDevice
) -> None:
    sent = send(adele, device, "activation-test")
    device.approve_latest(sent.number)
    started = time.monotonic()
    exchange = asyncio.run(request(router, f"/push/wait/{sent.wait_token}", {"wait": "10"}))
    assert exchange.body == {"status": "answered"}
    assert time.monotonic() - started < 1.0


@threads_use_db
def test_wait_with_nothing_happening_returns_pending_after_the_wait(
    router: LongPollRouter, adele: User, device: SoftDevice
) -> None:
    sent = send(adele, device, "activation-test")
    started = time.monotonic()
    exchange = asyncio.run(request(router, f"/push/wait/{sent.wait_token}", {"wait": "1"}))
    seconds = time.monotonic() - started
    assert (exchange.status, exchange.body) == (200, {"status": "pending"})
    assert 0.9 <= seconds < 3.0


@threads_use_db
def test_wait_ends_when_the_notification_expires_not_a_wait_later(
    router: LongPollRouter, adele: User, device: SoftDevice
) -> None:
    sent = send(adele, device, "activation-test")
    soon = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=0.5)
    PushChallenge.objects.filter(pk=sent.challenge_id).update(expires_at=soon)
    started = time.monotonic()
    exchange = asyncio.run(request(router, f"/push/wait/{sent.wait_token}", {"wait": "10"}))
    seconds = time.monotonic() - started
    assert (exchange.status, exchange.body) == (200, {"status": "expired"})
    assert 0.4 <= seconds < 2.0, f"the page heard of the expiry after {seconds:.2f} s"


@threads_use_db
def test_waits_opened_together_share_their_first_look(
    router: LongPollRouter, adele: User, device: SoftDevice, monkeypatch: pytest.MonkeyPatch
) -> None:
    answered = send(adele, device, "activation-test")
    device.approve_latest(answered.number)
    pending = send(adele, device, "activation-test")
    queries: list[int] = []
    real_wait_states = services.wait_states

    def counted(digests: list[str], now: Any) -> Any:
        queries.append(len(digests))
        return real_wait_states(digests, now)

    monkeypatch.setattr(services, "wait_states", counted)
    tokens = [answered.wait_token, pending.wait_token] * 40 + ["ab" * 24] * 20

    async def scenario() -> list[Exchange]:
        waits = [request(router, f"/push/wait/{token}", {"wait": "0"}) for token in tokens]
        return await asyncio.gather(*waits)

    exchanges = asyncio.run(scenario())
    statuses = [exchange.body["status"] for exchange in exchanges]
    assert statuses == ["answered", "pending"] * 40 + ["pending"] * 20
    assert sum(queries) <= len(set(tokens)) * len(queries), "each batch looks up a token once"
    assert len(queries) <= 3, f"{len(tokens)} first looks took {len(queries)} lookups"


@threads_use_db
def test_wait_on_an_unknown_token_waits_like_a_real_one(
    router: LongPollRouter, adele: User
) -> None:
    started = time.monotonic()
    exchange = asyncio.run(request(router, "/push/wait/" + "ab" * 24, {"wait": "1"}))
    seconds = time.monotonic() - started
    assert (exchange.status, exchange.body) == (200, {"status": "pending"})
    assert seconds >= 0.9, "it waits like a real one"


@threads_use_db
def test_client_leaving_ends_the_wait_and_forgets_the_waiter(
    router: LongPollRouter, adele: User, device: SoftDevice
) -> None:
    sent = send(adele, device, "activation-test")

    async def scenario() -> tuple[Exchange, float, bool]:
        exchange = Exchange()
        scope = scope_for(f"/push/wait/{sent.wait_token}", {"wait": "10"})
        waiting = asyncio.ensure_future(router(scope, exchange.receive, exchange.send))
        await until_waiting()
        left_at = time.monotonic()
        exchange.left.set()
        await waiting
        seconds = time.monotonic() - left_at
        return exchange, seconds, await forgotten()

    exchange, seconds, waiter_forgotten = asyncio.run(scenario())
    assert seconds < 1.0
    assert exchange.messages == [], "nobody is there to answer"
    assert waiter_forgotten, "no waiter is left registered"


# --- The app waiting for notifications ------------------------------------------------------


@threads_use_db
def test_poll_returns_at_once_when_a_notification_is_waiting(
    router: LongPollRouter, adele: User, device: SoftDevice
) -> None:
    sent = send(adele, device, "activation-test")
    started = time.monotonic()
    exchange = asyncio.run(request(router, POLL_PATH, {**device.poll_query(), "wait": "10"}))
    assert time.monotonic() - started < 1.0
    assert exchange.status == 200
    (challenge,) = exchange.body["challenges"]
    assert challenge["id"] == sent.challenge_id
    assert "number" not in challenge
    assert exchange.headers[b"cache-control"] == b"no-store"


@threads_use_db
def test_poll_is_woken_when_a_notification_is_sent(
    router: LongPollRouter, adele: User, device: SoftDevice
) -> None:
    async def scenario() -> tuple[Exchange, Any, float]:
        polling = asyncio.ensure_future(
            request(router, POLL_PATH, {**device.poll_query(), "wait": "10"})
        )
        await until_waiting()
        sent_at = time.monotonic()
        sent = await in_thread(send, adele, device, "activation-test")
        exchange = await polling
        return exchange, sent, time.monotonic() - sent_at

    exchange, sent, seconds = asyncio.run(scenario())
    assert seconds < 1.0, f"the app heard of the notification {seconds:.2f} s after it was sent"
    assert exchange.status == 200
    assert [c["id"] for c in exchange.body["challenges"]] == [sent.challenge_id]
    assert len(get_hub().local) == 0


@threads_use_db
def test_poll_with_nothing_waiting_returns_an_empty_list(
    router: LongPollRouter, device: SoftDevice
) -> None:
    exchange = asyncio.run(request(router, POLL_PATH, {**device.poll_query(), "wait": "0"}))
    assert (exchange.status, exchange.body) == (200, {"challenges": []})


@threads_use_db
def test_client_leaving_ends_the_poll(
    router: LongPollRouter, adele: User, device: SoftDevice
) -> None:
    async def scenario() -> tuple[Exchange, bool]:
        exchange = Exchange()
        scope = scope_for(POLL_PATH, {**device.poll_query(), "wait": "10"})
        polling = asyncio.ensure_future(router(scope, exchange.receive, exchange.send))
        await until_waiting()
        exchange.left.set()
        await asyncio.wait_for(polling, 1.0)
        return exchange, await forgotten()

    exchange, waiter_forgotten = asyncio.run(scenario())
    assert exchange.messages == []
    assert waiter_forgotten


@threads_use_db
def test_poll_signed_by_another_key_is_refused(router: LongPollRouter, device: SoftDevice) -> None:
    impostor = SoftDevice()
    impostor.device_id = device.device_id
    exchange = asyncio.run(request(router, POLL_PATH, {**impostor.poll_query(), "wait": "10"}))
    assert exchange.status == 401
    assert exchange.body["error"] == "bad_signature"
    assert exchange.body["message"]


@threads_use_db
def test_poll_from_an_unknown_device_is_told_the_account_was_removed(
    router: LongPollRouter, adele: User
) -> None:
    stranger = SoftDevice()
    stranger.device_id = "never-activated"
    exchange = asyncio.run(request(router, POLL_PATH, {**stranger.poll_query(), "wait": "10"}))
    assert exchange.status == 410
    assert exchange.body["error"] == "account_removed"


@threads_use_db
def test_bad_poll_signatures_from_one_address_are_rate_limited(
    router: LongPollRouter, device: SoftDevice
) -> None:
    impostor = SoftDevice()
    impostor.device_id = device.device_id

    async def scenario() -> tuple[list[int], Exchange]:
        statuses = []
        for _ in range(20):
            statuses.append((await request(router, POLL_PATH, impostor.poll_query())).status)
        return statuses, await request(router, POLL_PATH, {**device.poll_query(), "wait": "0"})

    statuses, blocked = asyncio.run(scenario())
    assert statuses == [401] * 20
    assert blocked.status == 429
    assert blocked.body["error"] == "rate_limited"
    assert blocked.headers[b"retry-after"] == b"600"


# --- Routing --------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [POLL_PATH, "/push/wait/some-token"])
@pytest.mark.parametrize("method", ["POST", "PUT", "DELETE"])
def test_other_methods_on_the_long_polls_are_not_allowed(
    router: LongPollRouter, path: str, method: str
) -> None:
    exchange = asyncio.run(request(router, path, method=method))
    assert (exchange.status, exchange.body) == (405, {"error": "method_not_allowed"})
    assert router.django_app.scopes == []  # type: ignore[attr-defined]


@pytest.mark.parametrize(
    "path", ["/signin/", "/push/api/respond", "/push/api/activate", "/push/api/poll/", "/push/"]
)
def test_other_paths_go_to_the_wrapped_app(router: LongPollRouter, path: str) -> None:
    exchange = asyncio.run(request(router, path, method="POST"))
    assert exchange.status == 299
    (handed,) = router.django_app.scopes  # type: ignore[attr-defined]
    assert handed["path"] == path


def test_other_kinds_of_connection_go_to_the_wrapped_app(router: LongPollRouter) -> None:
    async def scenario() -> None:
        exchange = Exchange()
        await router({"type": "lifespan"}, exchange.receive, exchange.send)
        await router({"type": "websocket", "path": POLL_PATH}, exchange.receive, exchange.send)

    asyncio.run(scenario())
    kinds = [scope["type"] for scope in router.django_app.scopes]  # type: ignore[attr-defined]
    assert kinds == ["lifespan", "websocket"]

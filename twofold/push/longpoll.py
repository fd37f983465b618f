"""The two long polls, served straight from ASGI: the app waiting for notifications and the
page waiting for the app's answer.

They sit in front of Django because a waiting request must cost a coroutine, not a thread:
Django's synchronous middleware would hold a thread for each of thousands of waits. Both are
proved without cookies (a device signature, an unguessable wait token), answer JSON only, and
reach the database through short calls on the thread pool.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import weakref
from collections.abc import Awaitable, Callable, Mapping
from concurrent.futures import Executor, ThreadPoolExecutor
from typing import Any
from urllib.parse import parse_qs

from django.db import close_old_connections

from twofold.core import clock, ratelimit
from twofold.core.network import address_of
from twofold.push import services
from twofold.push.hub import get_hub
from twofold.push.services import PushRefused
from twofold.push.views import FAILURES_PER_IP_10_MINUTES

Scope = dict[str, Any]
Receive = Callable[[], Awaitable[Mapping[str, Any]]]
Send = Callable[[Mapping[str, Any]], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

POLL_PATH = "/push/api/poll"
WAIT_PREFIX = "/push/wait/"
DEFAULT_WAIT_SECONDS = 25
MAX_WAIT_SECONDS = 30
# Past the expiry before looking again, so the look sees it expired.
EXPIRY_MARGIN_SECONDS = 0.05

_HEADERS = [
    (b"content-type", b"application/json"),
    (b"cache-control", b"no-store"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'"),
]


# A wait's first look at the database runs on a pool of its own: thousands of browsers
# renewing their waits at once must not queue ahead of the look that releases one.
_first_looks = ThreadPoolExecutor(max_workers=2, thread_name_prefix="push-first-look")
# First looks that arrive while one batch is being looked up go together in the next.
FIRST_LOOK_BATCH = 500


async def in_thread(
    function: Callable[..., Any], *args: Any, executor: Executor | None = None
) -> Any:
    """Run ORM/cache work on a thread pool and give the connection back afterwards."""

    def run() -> Any:
        try:
            return function(*args)
        finally:
            close_old_connections()

    return await asyncio.get_running_loop().run_in_executor(executor, run)


def _pool_for(looks_so_far: int) -> Executor | None:
    return _first_looks if looks_so_far == 0 else None


class FirstLooks:
    """Pages' first looks, one query for all that queue up meanwhile (one per event loop)."""

    def __init__(self) -> None:
        self._queued: dict[str, list[asyncio.Future[services.WaitState]]] = {}
        self._draining = False

    async def look(self, digest: str) -> services.WaitState:
        answer: asyncio.Future[services.WaitState] = asyncio.get_running_loop().create_future()
        self._queued.setdefault(digest, []).append(answer)
        if not self._draining:
            self._draining = True
            asyncio.get_running_loop().create_task(self._drain())
        return await answer

    async def _drain(self) -> None:
        try:
            while self._queued:
                digests = list(self._queued)[:FIRST_LOOK_BATCH]
                batch = {digest: self._queued.pop(digest) for digest in digests}
                try:
                    states = await in_thread(
                        services.wait_states, digests, clock.now(), executor=_first_looks
                    )
                except Exception as error:  # each waiter gets it, as if it had looked alone
                    for answers in batch.values():
                        for answer in answers:
                            if not answer.done():
                                answer.set_exception(error)
                    continue
                for digest, answers in batch.items():
                    for answer in answers:
                        if not answer.done():  # a waiter that left or was woken meanwhile
                            answer.set_result(states[digest])
        finally:
            self._draining = False


_first_looks_by_loop: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, FirstLooks] = (
    weakref.WeakKeyDictionary()
)


def first_looks() -> FirstLooks:
    loop = asyncio.get_running_loop()
    looks = _first_looks_by_loop.get(loop)
    if looks is None:
        looks = _first_looks_by_loop[loop] = FirstLooks()
    return looks


class LongPollRouter:
    """Answers the long polls; hands every other request to Django."""

    def __init__(self, django_app: ASGIApp) -> None:
        self.django_app = django_app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] == "http" and (path == POLL_PATH or path.startswith(WAIT_PREFIX)):
            if scope.get("method") != "GET":
                await _respond(send, 405, {"error": "method_not_allowed"})
                return
            handler = _poll if path == POLL_PATH else _wait
            await _until_disconnect(handler(scope, send), receive)
            return
        await self.django_app(scope, receive, send)


async def _until_disconnect(work: Awaitable[None], receive: Receive) -> None:
    """A browser or app that goes away stops its wait at once (memory stays bounded)."""
    task = asyncio.ensure_future(work)
    gone = asyncio.ensure_future(_disconnected(receive))
    await asyncio.wait({task, gone}, return_when=asyncio.FIRST_COMPLETED)
    for pending in (task, gone):
        if not pending.done():
            pending.cancel()
    if task.done() and not task.cancelled():
        task.result()


async def _disconnected(receive: Receive) -> None:
    while (await receive())["type"] != "http.disconnect":
        pass


async def _respond(
    send: Send, status: int, body: dict[str, Any], headers: list[Any] | None = None
) -> None:
    await send(
        {"type": "http.response.start", "status": status, "headers": _HEADERS + (headers or [])}
    )
    await send({"type": "http.response.body", "body": json.dumps(body).encode()})


def _query(scope: Scope) -> dict[str, str]:
    parsed = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    return {key: values[0] for key, values in parsed.items()}


def _caller(scope: Scope) -> str:
    client = scope.get("client") or ("", 0)
    forwarded = ""
    for name, value in scope.get("headers", []):
        if name == b"x-forwarded-for":
            forwarded = value.decode("latin-1")
    return address_of(client[0] or "", forwarded)


def _wait_seconds(raw: str | None) -> float:
    try:
        return float(min(max(int(raw or DEFAULT_WAIT_SECONDS), 0), MAX_WAIT_SECONDS))
    except ValueError:
        return DEFAULT_WAIT_SECONDS


async def _poll(scope: Scope, send: Send) -> None:
    query = _query(scope)
    caller = _caller(scope)
    try:
        device = await in_thread(_checked_device, query, caller)
    except PushRefused as refused:
        headers = [(b"retry-after", b"600")] if refused.status == 429 else []
        await _respond(
            send, refused.status, {"error": refused.error, "message": refused.message}, headers
        )
        return

    looks = 0

    async def pending() -> list[dict[str, Any]] | None:
        nonlocal looks
        executor, looks = _pool_for(looks), looks + 1
        found = await in_thread(
            services.pending_for_device, device.device_id, clock.now(), executor=executor
        )
        return found or None

    challenges = await get_hub().wait_for(
        services.device_channel(device.device_id), _wait_seconds(query.get("wait")), pending
    )
    await _respond(send, 200, {"challenges": challenges or []})


def _checked_device(query: dict[str, str], caller: str) -> services.DeviceKey:
    if ratelimit.hits("push-failures", caller) >= FAILURES_PER_IP_10_MINUTES:
        raise PushRefused(429, "rate_limited", "Too many failed requests. Try again later.")
    try:
        return services.check_poll(
            query.get("device", ""), query.get("ts", ""), query.get("sig", ""), clock.now()
        )
    except PushRefused as refused:
        if refused.status == 401:
            ratelimit.count_hit("push-failures", caller, 600)
        raise


async def _wait(scope: Scope, send: Send) -> None:
    token = scope["path"][len(WAIT_PREFIX) :]
    if not token or len(token) > 64:
        await _respond(send, 404, {"status": "unknown"})
        return
    digest = services.wait_digest(token)
    expires_at: dt.datetime | None = None
    looks = 0

    async def settled() -> str | None:
        nonlocal expires_at, looks
        looks += 1
        if looks == 1:
            status, expires_at = await first_looks().look(digest)
        else:
            status, expires_at = await in_thread(services.wait_state, digest, clock.now())
        return status

    def until_expiry() -> float | None:
        # Nobody publishes an expiry: the page hears of it when it happens, not a wait later.
        if expires_at is None:
            return None
        return (expires_at - clock.now()).total_seconds() + EXPIRY_MARGIN_SECONDS

    status = await get_hub().wait_for(
        services.wait_channel(digest),
        _wait_seconds(_query(scope).get("wait")),
        settled,
        until_expiry,
    )
    await _respond(send, 200, {"status": status or "pending"})

"""Wake-ups for whoever waits on a notification: a browser, or an app's long poll.

The database holds every notification and answer; the hub only says "look again". One node
wakes its own waiters directly; with Redis configured, a wake-up is also published so that an
answer arriving on node B releases the browser waiting on node A. Should Redis go away, waiters
look at the database every second instead, so nothing is lost, only a little slower.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import TypeVar

import redis
import redis.asyncio as aioredis
from django.conf import settings

from twofold.core import shared_cache

T = TypeVar("T")

CHANNEL_PREFIX = "twofold:push:"
# How often a waiter looks at the database when wake-ups may not arrive (Redis down).
FALLBACK_RECHECK_SECONDS = 1.0
RECONNECT_MAX_SECONDS = 5.0


class LocalWaiters:
    """The waiters of this process by channel; ``wake`` may be called from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_channel: dict[str, set[tuple[asyncio.AbstractEventLoop, asyncio.Event]]] = {}

    @asynccontextmanager
    async def registered(self, channel: str) -> AsyncIterator[asyncio.Event]:
        entry = (asyncio.get_running_loop(), asyncio.Event())
        with self._lock:
            self._by_channel.setdefault(channel, set()).add(entry)
        try:
            yield entry[1]
        finally:
            with self._lock:
                waiters = self._by_channel.get(channel)
                if waiters is not None:
                    waiters.discard(entry)
                    if not waiters:
                        del self._by_channel[channel]

    def wake(self, channel: str) -> None:
        with self._lock:
            waiters = list(self._by_channel.get(channel, ()))
        for loop, event in waiters:
            _set_soon(loop, event)

    def wake_all(self) -> None:
        with self._lock:
            waiters = [entry for entries in self._by_channel.values() for entry in entries]
        for loop, event in waiters:
            _set_soon(loop, event)

    def __len__(self) -> int:
        with self._lock:
            return sum(len(entries) for entries in self._by_channel.values())


def _set_soon(loop: asyncio.AbstractEventLoop, event: asyncio.Event) -> None:
    try:
        loop.call_soon_threadsafe(event.set)
    except RuntimeError:  # the waiter's loop has closed: nobody is waiting any more
        pass


class Hub:
    """In-process delivery: enough for one node."""

    def __init__(self) -> None:
        self.local = LocalWaiters()

    def publish(self, channel: str) -> None:
        self.local.wake(channel)

    async def _ready(self) -> bool:
        """Make sure wake-ups will arrive; False when they may not (fall back to rechecks)."""
        return True

    async def wait_for(
        self,
        channel: str,
        timeout: float,
        check: Callable[[], Awaitable[T | None]],
        recheck_in: Callable[[], float | None] | None = None,
    ) -> T | None:
        """``check()`` until it gives something, woken by ``publish(channel)``, at most
        ``timeout`` seconds. The waiter is registered before the first check, so an answer
        that lands between the check and the wait is never missed.

        ``recheck_in()``, asked after each check, gives the seconds until a change nobody
        publishes (an expiry), when the check runs again without a wake-up.
        """
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        async with self.local.registered(channel) as woken:
            reliable = await self._ready()
            while True:
                result = await _look(check, woken)
                remaining = deadline - loop.time()
                if result is not None or remaining <= 0:
                    return result
                step = remaining if reliable else min(remaining, FALLBACK_RECHECK_SECONDS)
                change = recheck_in() if recheck_in is not None else None
                if change is not None:
                    step = min(step, max(change, 0.0))
                try:
                    await asyncio.wait_for(woken.wait(), step)
                except TimeoutError:
                    if reliable and step >= remaining:
                        # Nothing was published and nothing fell due (a lost Redis
                        # connection wakes everyone): no need to look again.
                        return None
                woken.clear()
                reliable = reliable and await self._ready()


async def _look(check: Callable[[], Awaitable[T | None]], woken: asyncio.Event) -> T | None:
    """``check()``; woken while it is still under way (say, queued behind many others),
    it is dropped for a fresh one, which is what the wake-up asked for anyway."""
    if woken.is_set():
        woken.clear()
        return await check()
    look = asyncio.ensure_future(check())
    wake = asyncio.ensure_future(woken.wait())
    try:
        await asyncio.wait({look, wake}, return_when=asyncio.FIRST_COMPLETED)
    except BaseException:  # the waiter left: nobody wants the answer
        look.cancel()
        raise
    finally:
        wake.cancel()
    if look.done():
        return look.result()
    look.cancel()
    woken.clear()
    return await check()


class RedisHub(Hub):
    """Delivery across nodes through Redis pub/sub."""

    def __init__(self, url: str) -> None:
        super().__init__()
        self.url = url
        self._publisher = redis.Redis.from_url(url, socket_timeout=2, socket_connect_timeout=2)
        self._listeners: dict[asyncio.AbstractEventLoop, _Listener] = {}
        self._listeners_lock = threading.Lock()

    def publish(self, channel: str) -> None:
        # Waiters on this node need no round trip through Redis.
        self.local.wake(channel)
        # Unreachable Redis: other nodes' waiters recheck every second; logged once per outage.
        shared_cache.guard(
            "push wake-ups", lambda: self._publisher.publish(CHANNEL_PREFIX + channel, b"1"), 0
        )

    async def _ready(self) -> bool:
        loop = asyncio.get_running_loop()
        with self._listeners_lock:
            listener = self._listeners.get(loop)
            if listener is None:
                listener = self._listeners[loop] = _Listener(self.url, self.local)
                listener.start()
        return await listener.connected()


class _Listener:
    """One pattern subscription per event loop, handing wake-ups to local waiters."""

    def __init__(self, url: str, local: LocalWaiters) -> None:
        self.url = url
        self.local = local
        self._first_attempt = asyncio.Event()
        self._connected = False
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def connected(self) -> bool:
        if not self._first_attempt.is_set():
            try:
                await asyncio.wait_for(self._first_attempt.wait(), 2.0)
            except TimeoutError:
                return False
        return self._connected

    async def _run(self) -> None:
        delay = 0.1
        while True:
            client = aioredis.Redis.from_url(self.url, socket_connect_timeout=2)
            try:
                async with client.pubsub() as pubsub:
                    await pubsub.psubscribe(CHANNEL_PREFIX + "*")
                    self._connected = True
                    self._first_attempt.set()
                    shared_cache.report_success()
                    delay = 0.1
                    # Anything published while we were not subscribed: everyone looks again.
                    self.local.wake_all()
                    async for message in pubsub.listen():
                        if message.get("type") == "pmessage":
                            channel = message["channel"]
                            if isinstance(channel, bytes):
                                channel = channel.decode()
                            self.local.wake(channel.removeprefix(CHANNEL_PREFIX))
            except (redis.RedisError, OSError) as error:
                shared_cache.report_failure("push hub; waiters recheck every second", error)
                self._connected = False
                self._first_attempt.set()
                self.local.wake_all()
                await asyncio.sleep(delay)
                delay = min(delay * 2, RECONNECT_MAX_SECONDS)
            finally:
                await client.aclose()


_hub: Hub | None = None
_hub_lock = threading.Lock()


def get_hub() -> Hub:
    global _hub
    with _hub_lock:
        if _hub is None:
            url = settings.TWOFOLD_REDIS_URL
            _hub = RedisHub(url) if url else Hub()
        return _hub


def reset_hub() -> None:
    """Forget the hub (tests switch settings between Redis and none)."""
    global _hub
    with _hub_lock:
        _hub = None

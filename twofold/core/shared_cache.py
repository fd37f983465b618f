"""The cache (Redis when configured) as a speed-up that may go away at any moment.

Everything that talks to the cache goes through here, so that an outage is logged once when
it starts (a warning, no stack trace) and once when it ends, instead of once per request:
a 20-second Redis restart must not bury the log. Nothing that must hold when the cache is
down (limits on texts, calls and emails, lockouts, single-use tokens) lives in the cache.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from django.core.cache import cache
from redis.exceptions import RedisError

logger = logging.getLogger(__name__)

T = TypeVar("T")

# What an unreachable Redis raises (socket errors are OSError); other errors are bugs.
CACHE_ERRORS: tuple[type[BaseException], ...] = (RedisError, OSError)

_lock = threading.Lock()
_down_since: float | None = None
_calls_without_cache = 0


def guard(what: str, operation: Callable[[], T], default: T) -> T:
    """Run one cache operation; when the cache is unreachable, note it and return ``default``."""
    try:
        result = operation()
    except CACHE_ERRORS as error:
        report_failure(what, error)
        return default
    report_success()
    return result


def is_down() -> bool:
    return _down_since is not None


def get(key: str, default: Any = None, *, what: str = "cache") -> Any:
    return guard(what, lambda: cache.get(key, default), default)


def set(key: str, value: Any, timeout: float, *, what: str = "cache") -> bool:
    """True once stored; False when the cache is unreachable."""

    def store() -> bool:
        cache.set(key, value, timeout)
        return True

    return guard(what, store, False)


def delete(key: str, *, what: str = "cache") -> bool:
    return delete_many([key], what=what)


def delete_many(keys: Iterable[str], *, what: str = "cache") -> bool:
    """True once deleted (or nothing to delete); False when the cache is unreachable."""
    keys = list(keys)
    if not keys:
        return True

    def remove() -> bool:
        cache.delete_many(keys)
        return True

    return guard(what, remove, False)


def report_failure(what: str, error: BaseException) -> None:
    global _down_since, _calls_without_cache
    with _lock:
        _calls_without_cache += 1
        if _down_since is not None:
            return
        _down_since = time.monotonic()
    logger.warning(
        "cache unreachable (%s: %s); carrying on without it until it is back",
        what,
        type(error).__name__,
    )


def report_success() -> None:
    global _down_since, _calls_without_cache
    if _down_since is None:  # the common case, without taking the lock
        return
    with _lock:
        if _down_since is None:
            return
        seconds = time.monotonic() - _down_since
        calls = _calls_without_cache
        _down_since = None
        _calls_without_cache = 0
    logger.info(
        "cache reachable again after %.0f s; %d cache calls went without it", seconds, calls
    )

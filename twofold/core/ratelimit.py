"""Fixed-window counters in the cache (Redis when configured), for guess surfaces."""

from __future__ import annotations

import hashlib

from django.core.cache import cache


def _key(scope: str, identity: str) -> str:
    # Hash the identity: user-typed names can be long or hold characters cache keys refuse.
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def count_hit(scope: str, identity: str, window_seconds: int) -> int:
    """Record one hit and return the number of hits in the current window."""
    key = _key(scope, identity)
    # add() is atomic and only creates the counter (with its expiry) once per window.
    if cache.add(key, 1, timeout=window_seconds):
        return 1
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=window_seconds)
        return 1


def hits(scope: str, identity: str) -> int:
    return int(cache.get(_key(scope, identity), 0))


def reset(scope: str, identity: str) -> None:
    cache.delete(_key(scope, identity))

"""Fixed-window counters in the cache (Redis when configured), for guess surfaces.

When the cache is unreachable the counters count nothing and say so in the log: sign-in
keeps working, and the lockouts that stop password and code guessing live in the database.
"""

from __future__ import annotations

import hashlib
import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def _key(scope: str, identity: str) -> str:
    # Hash the identity: user-typed names can be long or hold characters cache keys refuse.
    digest = hashlib.sha256(identity.encode("utf-8", "surrogatepass")).hexdigest()[:32]
    return f"rl:{scope}:{digest}"


def count_hit(scope: str, identity: str, window_seconds: int) -> int:
    """Record one hit and return the number of hits in the current window."""
    key = _key(scope, identity)
    try:
        # add() is atomic and only creates the counter (with its expiry) once per window.
        if cache.add(key, 1, timeout=window_seconds):
            return 1
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=window_seconds)
            return 1
    except Exception:
        logger.warning("rate limit %s not counted: cache unreachable", scope)
        return 0


def hits(scope: str, identity: str) -> int:
    try:
        return int(cache.get(_key(scope, identity), 0))
    except Exception:
        logger.warning("rate limit %s not read: cache unreachable", scope)
        return 0


def reset(scope: str, identity: str) -> None:
    try:
        cache.delete(_key(scope, identity))
    except Exception:
        logger.warning("rate limit %s not reset: cache unreachable", scope)

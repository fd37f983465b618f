"""The rate-limit counters against a real Redis server, whatever the suite's cache is."""

from __future__ import annotations

import socket
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache.backends.redis import RedisCache

from twofold.core import ratelimit

REDIS_URL = "redis://127.0.0.1:6379/15"


@pytest.fixture
def redis_cache(monkeypatch: pytest.MonkeyPatch) -> Iterator[RedisCache]:
    try:
        socket.create_connection(("127.0.0.1", 6379), 1).close()
    except OSError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    backend = RedisCache(REDIS_URL, {"KEY_PREFIX": f"test-{uuid.uuid4().hex[:8]}"})
    monkeypatch.setattr(ratelimit, "cache", backend)
    yield backend
    backend.clear()


def test_counter_counts_and_resets(redis_cache: RedisCache) -> None:
    counts = [ratelimit.count_hit("scope", "203.0.113.9", 60) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert ratelimit.hits("scope", "203.0.113.9") == 3
    ratelimit.reset("scope", "203.0.113.9")
    assert ratelimit.hits("scope", "203.0.113.9") == 0


def test_counter_window_expires(redis_cache: RedisCache) -> None:
    ratelimit.count_hit("scope", "x", 1)
    key = ratelimit._key("scope", "x")
    client = redis_cache._cache.get_client(key)
    assert 0 < client.pttl(redis_cache.make_and_validate_key(key)) <= 1000


def test_concurrent_hits_are_never_lost(redis_cache: RedisCache) -> None:
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: ratelimit.count_hit("race", "ip", 60), range(200)))
    assert ratelimit.hits("race", "ip") == 200


def test_odd_identities_make_valid_keys(redis_cache: RedisCache) -> None:
    for identity in ["x" * 10_000, "spaces and\nnewlines", "\udcff surrogate", "日本語"]:
        assert ratelimit.count_hit("scope", identity, 60) == 1

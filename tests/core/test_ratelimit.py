"""The rate-limit counters live in the database: they count with the cache down, and
concurrent hits are never lost or double-granted."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection

from tests.conftest import FrozenClock
from tests.core.dead_cache import cache_down
from twofold.core import ratelimit
from twofold.core.models import RateCounter
from twofold.core.ratelimit import Limit, LimitReached

pytestmark = pytest.mark.django_db


def test_counter_counts_and_resets(clock: FrozenClock) -> None:
    counts = [ratelimit.count_hit("scope", "203.0.113.9", 60) for _ in range(3)]
    assert counts == [1, 2, 3]
    assert ratelimit.hits("scope", "203.0.113.9") == 3
    assert ratelimit.hits("other-scope", "203.0.113.9") == 0
    ratelimit.reset("scope", "203.0.113.9")
    assert ratelimit.hits("scope", "203.0.113.9") == 0


def test_a_window_starts_at_the_first_hit_and_ends_after_its_length(clock: FrozenClock) -> None:
    ratelimit.count_hit("scope", "x", 60)
    clock.advance(59)
    assert ratelimit.count_hit("scope", "x", 60) == 2
    clock.advance(1)
    assert ratelimit.hits("scope", "x") == 0
    assert ratelimit.count_hit("scope", "x", 60) == 1, "a new window"


def test_counters_count_with_the_cache_down(clock: FrozenClock) -> None:
    with cache_down():
        assert [ratelimit.count_hit("scope", "x", 60) for _ in range(3)] == [1, 2, 3]
        assert ratelimit.hits("scope", "x") == 3


def test_take_counts_against_every_limit_or_none(clock: FrozenClock) -> None:
    small, large = Limit("small", "x", 60, 2), Limit("large", "x", 60, 100)
    ratelimit.take(large, small)
    ratelimit.take(large, small)
    with pytest.raises(LimitReached) as refused:
        ratelimit.take(large, small)
    assert refused.value.limit == small
    assert ratelimit.hits("large", "x") == 2, "the refused try counted nowhere"
    assert ratelimit.hits("small", "x") == 2


def test_refused_takes_neither_count_nor_move_the_window(clock: FrozenClock) -> None:
    limit = Limit("scope", "x", 600, 2)
    window_start = clock.now()
    ratelimit.take(limit)
    ratelimit.take(limit)
    for _ in range(20):
        clock.advance(20)
        with pytest.raises(LimitReached) as refused:
            ratelimit.take(limit)
        assert refused.value.retry_at == window_start + dt.timedelta(seconds=600)
    assert ratelimit.hits("scope", "x") == 2
    clock.current = window_start + dt.timedelta(seconds=600)
    ratelimit.take(limit)
    assert ratelimit.hits("scope", "x") == 1


def test_retry_at_is_when_every_full_window_has_ended(clock: FrozenClock) -> None:
    short, long = Limit("short", "x", 60, 1), Limit("long", "x", 3600, 2)
    start = clock.now()
    ratelimit.take(short, long)
    clock.advance(60)
    ratelimit.take(short, long)
    with pytest.raises(LimitReached) as refused:
        ratelimit.take(short, long)
    # The short window ends at 2 minutes, the long one at an hour: room again only then.
    assert refused.value.retry_at == start + dt.timedelta(seconds=3600)
    assert ratelimit.free_at(Limit("none", "x", 60, 0)) is None


def test_identities_are_stored_only_as_keyed_hashes(clock: FrozenClock) -> None:
    for identity in ["x" * 10_000, "spaces and\nnewlines", "\udcff surrogate", "日本語"]:
        assert ratelimit.count_hit("scope", identity, 60) == 1
    ratelimit.count_hit("scope", "+31612345678", 60)
    assert not RateCounter.objects.filter(key_digest__contains="31612345678").exists()
    assert {len(d) for d in RateCounter.objects.values_list("key_digest", flat=True)} == {64}


def test_ended_windows_are_pruned(clock: FrozenClock) -> None:
    ratelimit.count_hit("scope", "old", 60)
    clock.advance(61)
    ratelimit.count_hit("scope", "new", 60)
    ratelimit.prune()
    assert RateCounter.objects.count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_hits_are_never_lost() -> None:
    def hit(_: int) -> None:
        try:
            ratelimit.count_hit("race", "ip", 60)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(hit, range(100)))
    assert ratelimit.hits("race", "ip") == 100


@pytest.mark.django_db(transaction=True)
def test_concurrent_takes_at_the_limit_grant_it_exactly_once() -> None:
    limit = Limit("race", "user", 60, 5)
    for _ in range(4):
        ratelimit.take(limit)
    start = threading.Barrier(8)
    granted: list[bool] = []

    def try_take(_: int) -> None:
        start.wait()
        try:
            ratelimit.take(limit)
            granted.append(True)
        except LimitReached:
            granted.append(False)
        finally:
            connection.close()

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(try_take, range(8)))
    assert granted.count(True) == 1
    assert ratelimit.hits("race", "user") == 5

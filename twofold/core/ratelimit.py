"""Fixed-window counters in the database, for limits that must hold when the cache is down.

Texts, calls and emails cost money and reach other people; reset starts and device-API
failures bound guessing. A cache outage must not switch any of them off, so the counters
are rows (``core.RateCounter``), one per limit and caller, each counted with one atomic
upsert. ``take()`` counts against several limits in one transaction: either every one
of them has room and all count, or none counts.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction

from twofold.core import clock
from twofold.core.models import RateCounter

# One hit in this many that starts a new window also deletes counters long expired.
PRUNE_ONE_IN = 64
# One statement starts or continues the window and counts (PostgreSQL, SQLite >= 3.35).
# Only the model's own table name is filled in, never anything from a request.
_UPSERT = (
    "INSERT INTO {table} (scope, key_digest, hits, expires_at) VALUES (%s, %s, 1, %s) "
    "ON CONFLICT (scope, key_digest) DO UPDATE SET "
    "hits = CASE WHEN {table}.expires_at <= %s THEN 1 ELSE {table}.hits + 1 END, "
    "expires_at = CASE WHEN {table}.expires_at <= %s "
    "THEN excluded.expires_at ELSE {table}.expires_at END "
    "RETURNING hits"
)


@dataclass(frozen=True)
class Limit:
    scope: str
    identity: str
    window_seconds: int
    most: int


class LimitReached(Exception):
    """``limit`` had no room; ``retry_at`` is when every limit of the call has room again
    (None when a limit allows nothing at all)."""

    def __init__(self, limit: Limit, retry_at: dt.datetime | None = None) -> None:
        super().__init__(limit.scope)
        self.limit = limit
        self.retry_at = retry_at


def digest(scope: str, identity: str) -> str:
    # Keyed: the table holds names, numbers and addresses only in a form nobody can read back.
    data = f"{scope}\0{identity}".encode("utf-8", "surrogatepass")
    return hmac.new(settings.SECRET_KEY.encode(), data, hashlib.sha256).hexdigest()


def count_hit(scope: str, identity: str, window_seconds: int) -> int:
    """Record one hit and return the number of hits in the current window.

    A window starts at the first hit and lasts ``window_seconds``; one statement both
    starts or continues it and counts, so concurrent hits are never lost.
    """
    now = clock.now()
    ops = connection.ops
    with connection.cursor() as cursor:
        cursor.execute(
            _UPSERT.format(table=ops.quote_name(RateCounter._meta.db_table)),
            [
                scope,
                digest(scope, identity),
                ops.adapt_datetimefield_value(now + dt.timedelta(seconds=window_seconds)),
                ops.adapt_datetimefield_value(now),
                ops.adapt_datetimefield_value(now),
            ],
        )
        row = cursor.fetchone()
    count = int(row[0])
    if count == 1 and secrets.randbelow(PRUNE_ONE_IN) == 0:
        transaction.on_commit(prune)
    return count


def hits(scope: str, identity: str) -> int:
    """Hits so far in the current window (0 when it has ended)."""
    found = (
        RateCounter.objects.filter(
            scope=scope, key_digest=digest(scope, identity), expires_at__gt=clock.now()
        )
        .values_list("hits", flat=True)
        .first()
    )
    return int(found or 0)


def reset(scope: str, identity: str) -> None:
    RateCounter.objects.filter(scope=scope, key_digest=digest(scope, identity)).delete()


def take(*limits: Limit) -> None:
    """Count one hit against every limit, or against none and raise ``LimitReached``.

    Each upsert locks its counter row until the transaction ends, so two requests at the
    last free hit queue on the row and only one of them gets it. Callers that write more
    in the same transaction (the record of a text sent) open it around ``take()``.
    """
    try:
        with transaction.atomic():
            # The same order everywhere (the caller's), so two transactions never deadlock.
            for limit in limits:
                if count_hit(limit.scope, limit.identity, limit.window_seconds) > limit.most:
                    raise LimitReached(limit)  # leaving atomic() rolls every count back
    except LimitReached as reached:
        # Read after the rollback: a refused hit neither counts nor moves any window, so
        # the answer is when the windows that are full now end.
        raise LimitReached(reached.limit, free_at(*limits)) from None


def free_at(*limits: Limit) -> dt.datetime | None:
    """When every one of ``limits`` has room for a hit: now, or when the last full window
    ends; None when one of them allows no hits at all."""
    now = clock.now()
    moment = now
    for limit in limits:
        if limit.most <= 0:
            return None
        found = (
            RateCounter.objects.filter(
                scope=limit.scope,
                key_digest=digest(limit.scope, limit.identity),
                expires_at__gt=now,
            )
            .values_list("hits", "expires_at")
            .first()
        )
        # A window ends at expires_at: a hit then starts a new one (see _UPSERT).
        if found is not None and found[0] >= limit.most:
            moment = max(moment, found[1])
    return moment


def prune() -> None:
    """Delete counters whose window has ended; a hit would start them afresh anyway."""
    RateCounter.objects.filter(expires_at__lt=clock.now()).delete()

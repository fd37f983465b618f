"""A cache outage is logged once when it starts and once when it ends, without stack traces."""

from __future__ import annotations

import logging

import pytest
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD
from tests.core.dead_cache import cache_down
from twofold.accounts.models import User
from twofold.core import shared_cache

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _cache_up(monkeypatch: pytest.MonkeyPatch) -> None:
    """Another test's outage must not still be open when this one starts."""
    monkeypatch.setattr(shared_cache, "_down_since", None)
    monkeypatch.setattr(shared_cache, "_calls_without_cache", 0)


def test_an_outage_logs_one_warning_and_one_recovery_line(
    adele: User, registration_not_required: None, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    client = Client()
    with cache_down():
        client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
        for _ in range(20):  # the requests of a short outage
            assert client.get("/").status_code == 200
        assert Client().get("/readyz").status_code == 503
        assert shared_cache.is_down()
    assert client.get("/").status_code == 200
    assert not shared_cache.is_down()

    # Lines about the cache, from anything that talks to it (Django's session store logged
    # one stack trace per request). twofold.oidc's own cache use is not covered here yet.
    records = [
        r
        for r in caplog.records
        if r.levelno >= logging.WARNING
        and not r.name.startswith("twofold.oidc")
        and (r.name.startswith("django.contrib.sessions") or "cache" in r.getMessage().lower())
    ]
    assert len(records) == 1, [r.getMessage() for r in records]
    assert "cache unreachable" in records[0].getMessage()
    assert records[0].exc_info is None, "no stack trace"
    recovered = [r for r in caplog.records if "reachable again" in r.getMessage()]
    assert len(recovered) == 1 and recovered[0].levelno == logging.INFO


def test_guard_returns_the_default_when_the_cache_is_down() -> None:
    with cache_down():
        assert shared_cache.get("key", "fallback") == "fallback"
        assert shared_cache.set("key", 1, 5) is False
        assert shared_cache.delete_many(["a", "b"]) is False
    assert shared_cache.set("key", 1, 5) is True
    assert shared_cache.get("key") == 1


def test_errors_other_than_an_unreachable_cache_are_not_hidden() -> None:
    def broken() -> None:
        raise TypeError("a bug")

    with pytest.raises(TypeError):
        shared_cache.guard("test", broken, None)

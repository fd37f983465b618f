from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from urllib.parse import urlparse

import pytest
from django.conf import settings
from django.test import Client

from twofold.accounts.models import User
from twofold.accounts.services import NewUser, create_user

DEFAULT_PASSWORD = "correct-horse-battery-9"


def _reachable(url: str, default_port: int) -> bool:
    parsed = urlparse(url)
    try:
        with socket.create_connection(
            (parsed.hostname or "127.0.0.1", parsed.port or default_port), 1
        ):
            return True
    except OSError:
        return False


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """On the PostgreSQL + Redis pass, skip with a clear reason only when they are truly absent."""
    database_url = settings.CONFIG.database_url
    redis_url = settings.CONFIG.redis_url
    reasons = []
    if database_url and not _reachable(database_url, 5432):
        reasons.append(f"PostgreSQL is not reachable at {urlparse(database_url).netloc}")
    if redis_url and not _reachable(redis_url, 6379):
        reasons.append(f"Redis is not reachable at {urlparse(redis_url).netloc}")
    if reasons:
        marker = pytest.mark.skip(reason="; ".join(reasons))
        for item in items:
            item.add_marker(marker)


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    """Rate-limit counters live in the cache; every test starts from zero."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """A Dutch request in an earlier test must not leave Dutch active in this one."""
    from django.utils import translation

    with translation.override("en"):
        yield


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(principal_name: str = "adele@contoso.example", **fields: object) -> User:
        fields.setdefault("display_name", "Adele Vance")
        fields.setdefault("password", DEFAULT_PASSWORD)
        return create_user(NewUser(principal_name=principal_name, **fields))  # type: ignore[arg-type]

    return make


@pytest.fixture
def adele(make_user: Callable[..., User]) -> User:
    return make_user()


class FrozenClock:
    """Stands in for twofold.core.clock: time moves only when a test says so."""

    def __init__(self) -> None:
        import datetime as dt

        self.current = dt.datetime(2026, 11, 1, 9, 0, tzinfo=dt.UTC)

    def now(self):
        return self.current

    def advance(self, seconds: float) -> None:
        import datetime as dt

        self.current += dt.timedelta(seconds=seconds)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> FrozenClock:
    from twofold.core import clock as clock_module

    frozen = FrozenClock()
    monkeypatch.setattr(clock_module, "now", frozen.now)
    return frozen


@pytest.fixture
def registration_not_required(db: None) -> None:
    """Policy without the registration interrupt, for tests about other pages."""
    from twofold.policy.services import get_policy

    policy = get_policy()
    policy.registration_required = False
    policy.save()


def totp_code(secret: str, unix_time: float) -> str:
    """RFC 4226/6238 computed independently of the product's pyotp use."""
    import base64
    import hashlib
    import hmac
    import struct

    key = base64.b32decode(secret)
    digest = hmac.new(key, struct.pack(">Q", int(unix_time // 30)), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@pytest.fixture
def add_authenticator(clock: FrozenClock):
    """Registers an authenticator app for a user through the real flow; returns (method, secret)."""
    from twofold.methods.flows import register_method
    from twofold.methods.registry import get_method

    def add(user: User, label: str = "phone"):
        method = get_method("authenticator_code")
        assert method is not None
        pending = method.begin_registration(user)
        code = totp_code(pending["secret"], clock.now().timestamp())
        registered = register_method(user, method, pending, {"code": code, "label": label})
        clock.advance(30)  # the next code is a fresh one
        return registered, pending["secret"]

    return add


def sign_in(client: Client, user: User, secret: str | None = None, at: float = 0, **extra: str):
    """Password step, then (with an authenticator secret) the code for time ``at``."""
    response = client.post("/signin/", {"username": user.username, "password": DEFAULT_PASSWORD})
    if secret is None:
        return response
    return client.post("/signin/verify/", {"code": totp_code(secret, at), **extra})

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD
from twofold.accounts.models import User

pytestmark = pytest.mark.django_db


def test_healthz_answers_without_touching_the_database(django_assert_num_queries) -> None:
    with django_assert_num_queries(0):
        response = Client().get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_readyz_reports_database_and_cache() -> None:
    response = Client().get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "cache": "ok"}


def test_readyz_is_503_when_the_database_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    from twofold.core import views

    def broken_cursor():
        raise OSError("connection refused")

    monkeypatch.setattr(views.connection, "cursor", broken_cursor)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"


def test_readyz_is_503_when_the_cache_is_gone(monkeypatch: pytest.MonkeyPatch) -> None:
    from twofold.core import shared_cache

    def broken_set(*args: object, **kwargs: object) -> None:
        raise ConnectionError("redis down")

    monkeypatch.setattr(shared_cache.cache, "set", broken_set)
    response = Client().get("/readyz")
    assert response.status_code == 503
    assert response.json()["cache"] == "unreachable"


def test_metrics_count_sign_in_outcomes(adele: User) -> None:
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": "wrong-one"})
    body = client.get("/metrics").content.decode()
    assert 'twofold_signin_attempts_total{outcome="incorrect"}' in body
    assert 'twofold_http_requests_total{method="POST",status="401",view="signin_show_form"}' in body


def test_pages_carry_a_strict_content_security_policy() -> None:
    response = Client().get("/signin/")
    policy = response["Content-Security-Policy"]
    assert "script-src 'self'" in policy
    assert "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_unknown_address_gets_a_friendly_404() -> None:
    response = Client().get("/no/such/page")
    assert response.status_code == 404
    assert b"There is no page at this address." in response.content


@pytest.mark.usefixtures("registration_not_required")
def test_home_page_is_never_cached(adele: User) -> None:
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    response = client.get("/")
    assert "no-store" in response["Cache-Control"]


def test_oversized_request_body_is_refused_cleanly() -> None:
    response = Client().post(
        "/signin/",
        data=b"username=" + b"a" * 300_000,
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert b"too large or malformed" in response.content

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.test import Client, override_settings

from tests.api.conftest import ApiClient
from tests.conftest import FrozenClock, sign_in
from twofold.accounts.models import User
from twofold.api.models import ApiToken
from twofold.api.tokens import create_token, revoke_token
from twofold.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


def assert_unauthorised(response) -> None:
    assert response.status_code == 401
    assert response["Content-Type"] == PROBLEM
    assert response["WWW-Authenticate"].startswith("Bearer")
    body = response.json()
    assert body["status"] == 401 and body["title"] and body["detail"]


def test_no_token_is_refused_with_problem_json() -> None:
    assert_unauthorised(ApiClient(None).get("/api/v1/users"))


@pytest.mark.parametrize(
    "header",
    ["Bearer", "Bearer ", "Bearer nonsense", "Basic YTpi", "bearer tfa_", "Bearer " + "x" * 4000],
)
def test_malformed_authorisation_is_refused_alike(header: str) -> None:
    response = Client().get("/api/v1/users", headers={"Authorization": header})
    assert_unauthorised(response)


def test_expired_revoked_and_unknown_tokens_get_the_same_answer(clock: FrozenClock) -> None:
    _, expired = create_token("old", ["read"], lifetime=dt.timedelta(hours=1))
    revoked_token, revoked = create_token("gone", ["read"])
    revoke_token(revoked_token.pk)
    clock.advance(3600)
    unknown = "tfa_" + "0" * 12 + "_" + "A" * 43
    answers = [ApiClient(raw).get("/api/v1/users") for raw in (expired, revoked, unknown)]
    for response in answers:
        assert_unauthorised(response)
    assert len({response.content for response in answers}) == 1


def test_read_token_cannot_write(reader: ApiClient, adele: User) -> None:
    response = reader.post(
        f"/api/v1/users/{adele.pk}/authentication/emailMethods",
        {"emailAddress": "adele@home.example"},
    )
    assert response.status_code == 403
    assert response["Content-Type"] == PROBLEM
    assert "write" in response.json()["detail"]
    assert not adele.security_methods.exists()


def test_validate_only_token_cannot_read(make_api: Callable[..., ApiClient]) -> None:
    response = make_api("validate").get("/api/v1/users")
    assert response.status_code == 403


def test_write_token_may_read(writer: ApiClient) -> None:
    assert writer.get("/api/v1/users").status_code == 200


def test_session_cookie_does_not_authenticate(
    adele: User, add_authenticator, clock: FrozenClock
) -> None:
    adele.is_staff = adele.is_superuser = True
    adele.save()
    _, secret = add_authenticator(adele)
    browser = Client()
    sign_in(browser, adele, secret, clock.now().timestamp())
    assert browser.get("/security-info/").status_code == 200  # the session works for pages
    assert_unauthorised(browser.get("/api/v1/users"))
    response = browser.delete(f"/api/v1/users/{adele.pk}/authentication/methods/1")
    assert_unauthorised(response)
    assert adele.security_methods.count() == 1


def test_token_calls_need_no_csrf_token(writer: ApiClient, adele: User) -> None:
    writer.client = Client(enforce_csrf_checks=True)
    response = writer.post(
        f"/api/v1/users/{adele.pk}/authentication/emailMethods",
        {"emailAddress": "adele@home.example"},
    )
    assert response.status_code == 201


@override_settings(TWOFOLD_API_LIMITS={"per_minute": 3, "bad_tokens_per_minute": 30})
def test_rate_limit_per_token_answers_429_with_retry_after(
    make_api: Callable[..., ApiClient], clock: FrozenClock
) -> None:
    first, second = make_api("read"), make_api("read")
    for _ in range(3):
        assert first.get("/api/v1/users").status_code == 200
    limited = first.get("/api/v1/users")
    assert limited.status_code == 429
    assert limited["Content-Type"] == PROBLEM
    assert 1 <= int(limited["Retry-After"]) <= 60
    # Per token: another token still has its own allowance.
    assert second.get("/api/v1/users").status_code == 200
    clock.advance(61)
    assert first.get("/api/v1/users").status_code == 200


@override_settings(TWOFOLD_API_LIMITS={"per_minute": 600, "bad_tokens_per_minute": 3})
def test_an_address_sending_bad_tokens_is_held_back(writer: ApiClient) -> None:
    bad = ApiClient("tfa_" + "1" * 12 + "_" + "B" * 43)
    for _ in range(3):
        assert bad.get("/api/v1/users").status_code == 401
    assert bad.get("/api/v1/users").status_code == 429
    # The held-back address is refused before any token is looked at, good ones too.
    assert writer.get("/api/v1/users").status_code == 429


def test_rate_limit_holds_when_the_cache_is_down(
    make_api: Callable[..., ApiClient], monkeypatch: pytest.MonkeyPatch
) -> None:
    from django.core.cache import cache

    def broken(*args: object, **kwargs: object) -> None:
        raise ConnectionError("cache down")

    for name in ("get", "set", "add", "incr", "delete", "get_many", "set_many"):
        monkeypatch.setattr(cache, name, broken)
    with override_settings(TWOFOLD_API_LIMITS={"per_minute": 2, "bad_tokens_per_minute": 30}):
        api = make_api("read")
        assert api.get("/api/v1/users").status_code == 200
        assert api.get("/api/v1/users").status_code == 200
        assert api.get("/api/v1/users").status_code == 429


def test_every_call_is_audited_with_its_token(reader: ApiClient) -> None:
    reader.get("/api/v1/users")
    reader.get("/api/v1/users/999999")
    events = list(AuditEvent.objects.filter(kind=AuditEvent.Kind.API_CALL).order_by("pk"))
    token = ApiToken.objects.get()
    assert [(e.details["path"], e.details["status"]) for e in events] == [
        ("/api/v1/users", 200),
        ("/api/v1/users/999999", 404),
    ]
    assert all(e.details["api_token"] == token.pk for e in events)
    assert all(e.ip_address == "127.0.0.1" for e in events)


def test_a_call_the_scope_refuses_is_audited(reader: ApiClient, adele: User) -> None:
    reader.delete(f"/api/v1/users/{adele.pk}/authentication/methods/1")
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.API_CALL)
    assert (event.details["method"], event.details["status"]) == ("DELETE", 403)


def test_calls_without_a_valid_token_write_no_audit_rows() -> None:
    ApiClient("tfa_" + "2" * 12 + "_" + "C" * 43).get("/api/v1/users")
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.API_CALL).exists()

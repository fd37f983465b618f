from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import pytest
from django.utils import timezone

from tests.api.conftest import ApiClient
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event

pytestmark = pytest.mark.django_db

PROBLEM = "application/problem+json"


@pytest.fixture
def staff(make_user: Callable[..., User]) -> list[User]:
    return [make_user(f"user{n:02d}@contoso.example") for n in range(7)] + [
        make_user("zoe@fabrikam.example")
    ]


def test_users_are_paged_by_cursor_without_gaps_or_repeats(
    reader: ApiClient, staff: list[User]
) -> None:
    seen: list[str] = []
    page = reader.get("/api/v1/users", limit=3).json()
    pages = 1
    while True:
        seen += [user["id"] for user in page["value"]]
        if "nextCursor" not in page:
            break
        assert page["@odata.nextLink"].startswith("http://testserver/api/v1/users?")
        page = reader.get("/api/v1/users", limit=3, cursor=page["nextCursor"]).json()
        pages += 1
    assert seen == [str(user.pk) for user in staff]
    assert pages == 3


def test_cursor_is_stable_when_users_are_added_before_it(
    reader: ApiClient, staff: list[User], make_user: Callable[..., User]
) -> None:
    first = reader.get("/api/v1/users", limit=4).json()
    make_user("aaron@contoso.example")
    second = reader.get("/api/v1/users", limit=4, cursor=first["nextCursor"]).json()
    assert [u["id"] for u in second["value"]] == [str(u.pk) for u in staff[4:8]]


def test_next_link_works_as_is(reader: ApiClient, staff: list[User]) -> None:
    first = reader.get("/api/v1/users", limit=5, startsWith="user").json()
    link = first["@odata.nextLink"].removeprefix("http://testserver")
    rest = reader.client.get(link, headers=reader.headers).json()
    assert [u["userPrincipalName"] for u in rest["value"]] == [
        "user05@contoso.example",
        "user06@contoso.example",
    ]


def test_users_filter_by_sign_in_name_prefix(reader: ApiClient, staff: list[User]) -> None:
    found = reader.get("/api/v1/users", startsWith="ZOE@").json()["value"]
    assert [user["userPrincipalName"] for user in found] == ["zoe@fabrikam.example"]


@pytest.mark.parametrize("cursor", ["garbage", "eyJrIjoidXNlcnMifQ:1abc:def", "a" * 400])
def test_tampered_cursor_is_a_400_problem(
    reader: ApiClient, staff: list[User], cursor: str
) -> None:
    response = reader.get("/api/v1/users", cursor=cursor)
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "query.cursor"


def test_cursor_of_another_filter_or_list_is_refused(reader: ApiClient, staff: list[User]) -> None:
    cursor = reader.get("/api/v1/users", limit=2).json()["nextCursor"]
    assert reader.get("/api/v1/users", cursor=cursor, startsWith="zoe").status_code == 400
    assert reader.get("/api/v1/auditEvents", cursor=cursor).status_code == 400
    edited = cursor[:-1] + ("A" if cursor[-1] != "A" else "B")
    assert reader.get("/api/v1/users", cursor=edited).status_code == 400


@pytest.mark.parametrize("limit", ["0", "501", "-1", "ten"])
def test_limit_is_bounded(reader: ApiClient, limit: str) -> None:
    response = reader.get("/api/v1/users", limit=limit)
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "query.limit"


def test_get_one_user(reader: ApiClient, adele: User) -> None:
    body = reader.get(f"/api/v1/users/{adele.pk}").json()
    assert body["userPrincipalName"] == "adele@contoso.example"
    assert body["displayName"] == "Adele Vance" and body["accountEnabled"] is True
    assert "password" not in body


@pytest.mark.parametrize("user_id", ["0", "abc", str(2**64), "-5"])
def test_bad_user_ids_are_400_problems(reader: ApiClient, user_id: str) -> None:
    response = reader.get(f"/api/v1/users/{user_id}")
    assert response.status_code == 400
    assert response["Content-Type"] == PROBLEM
    assert response.json()["errors"][0]["field"] == "path.user_id"


def test_nul_in_a_filter_is_refused(reader: ApiClient) -> None:
    response = reader.get("/api/v1/users", startsWith="a\x00b")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "query.startsWith"


def test_unknown_paths_and_methods_are_problems(reader: ApiClient) -> None:
    missing = reader.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and missing["Content-Type"] == PROBLEM
    not_allowed = reader.client.put("/api/v1/users", headers=reader.headers)
    assert not_allowed.status_code == 405 and not_allowed["Content-Type"] == PROBLEM
    assert not_allowed["Allow"] == "GET"


def test_audit_events_filter_and_page(
    reader: ApiClient, adele: User, make_user: Callable[..., User]
) -> None:
    megan = make_user("megan@contoso.example")
    # Events are stamped by the database's clock (auto_now_add), not the test clock.
    start = timezone.now()
    for _ in range(3):
        record_event(AuditEvent.Kind.SIGNIN_FAILED, user=adele)
    record_event(AuditEvent.Kind.SIGNIN_FAILED, user=megan)
    kinds = reader.get("/api/v1/auditEvents", kind="signin_failed", userId=adele.pk, limit=2).json()
    assert [e["userId"] for e in kinds["value"]] == [str(adele.pk)] * 2
    # Newest first, and the next page continues below the last id.
    ids = [int(e["id"]) for e in kinds["value"]]
    assert ids == sorted(ids, reverse=True)
    rest = reader.get(
        "/api/v1/auditEvents",
        kind="signin_failed",
        userId=adele.pk,
        limit=2,
        cursor=kinds["nextCursor"],
    ).json()
    assert len(rest["value"]) == 1 and "nextCursor" not in rest
    assert int(rest["value"][0]["id"]) < ids[-1]

    since = (start + dt.timedelta(days=1)).isoformat()
    assert reader.get("/api/v1/auditEvents", since=since).json()["value"] == []
    until = (start - dt.timedelta(days=1)).isoformat()
    assert reader.get("/api/v1/auditEvents", until=until).json()["value"] == []


def test_audit_events_refuse_unknown_kinds(reader: ApiClient) -> None:
    response = reader.get("/api/v1/auditEvents", kind="nope")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "query.kind"


def test_openapi_and_docs_are_served_without_a_cdn(reader: ApiClient) -> None:
    schema = reader.client.get("/api/v1/openapi.json").json()
    assert schema["openapi"].startswith("3.")
    schemes = schema["components"]["securitySchemes"]
    assert [scheme["scheme"] for scheme in schemes.values()] == ["bearer"]
    docs = reader.client.get("/api/v1/docs")
    assert docs.status_code == 200
    page = docs.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower() and "https://" not in page
    assert "script-src 'self'" in docs["Content-Security-Policy"]

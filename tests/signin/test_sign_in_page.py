from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tests.conftest import DEFAULT_PASSWORD, FrozenClock
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent

pytestmark = pytest.mark.django_db

WRONG = "That account name and password don&#x27;t match. Check both and try again."


def post(client: Client, username: str, password: str, **extra: str):
    return client.post("/signin/", {"username": username, "password": password, **extra})


@pytest.mark.usefixtures("registration_not_required")
def test_right_password_signs_in_and_redirects_home(adele: User) -> None:
    client = Client()
    response = post(client, "Adele@Contoso.example", DEFAULT_PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == "/"
    home = client.get("/")
    assert home.status_code == 200
    assert b"Adele Vance" in home.content
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SIGNIN_SUCCEEDED)
    assert event.user == adele


def test_home_asks_for_sign_in_first() -> None:
    response = Client().get("/")
    assert response.status_code == 302
    assert response["Location"] == "/signin/?next=/"


def test_wrong_password_and_unknown_name_get_the_same_answer(adele: User) -> None:
    wrong = post(Client(), adele.username, "not-my-password")
    unknown = post(Client(), "nobody@contoso.example", "not-my-password")
    assert wrong.status_code == unknown.status_code == 401
    assert WRONG.encode() in wrong.content
    assert wrong.content.replace(b"adele", b"nobody").count(b"alert") == unknown.content.count(
        b"alert"
    )
    kinds = list(AuditEvent.objects.values_list("kind", "principal_name"))
    assert (AuditEvent.Kind.SIGNIN_FAILED, "nobody@contoso.example") in kinds


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", "", b"Enter your account name"),
        ("", "", b"Enter your password."),
        ("adele@contoso.example", "", b"Enter your password."),
        ("x" * 10_000, "secret", b"at most 254 characters"),
        ("adele@contoso.example", "p" * 10_000, b"at most 256 characters"),
        ("adele", "secret", b"name@organisation"),
        ("' OR 1=1 --", "' OR 1=1 --", b"name@organisation"),
        ("adele@contoso.example'; DROP TABLE accounts_user;--", "x", b"name@organisation"),
        ("adele\x00@contoso.example", "x", b"Null characters are not allowed."),
        ("<script>alert(1)</script>@x.example", "x", b"name@organisation"),
    ],
)
def test_bad_input_gets_a_clear_message(
    adele: User, username: str, password: str, message: bytes
) -> None:
    response = post(Client(), username, password)
    assert response.status_code == 400
    assert message in response.content
    assert b"<script>alert(1)" not in response.content
    assert User.objects.count() == 1


def test_non_utf8_form_body_gets_a_clear_message(adele: User) -> None:
    response = Client().post(
        "/signin/",
        data=b"username=\xff\xfe%C0%AF@contoso.example&password=\xff",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 400
    assert b"name@organisation" in response.content


def test_missing_fields_entirely_get_a_clear_message() -> None:
    response = Client().post("/signin/", {})
    assert response.status_code == 400
    assert b"Enter your account name" in response.content


def test_lockout_answers_429_with_retry_after_and_is_audited(
    adele: User, clock: FrozenClock
) -> None:
    client = Client()
    for i in range(9):
        assert post(client, adele.username, f"guess-{i}").status_code == 401
    locked = post(client, adele.username, "guess-last")
    assert locked.status_code == 429
    assert locked["Retry-After"] == "60"
    assert b"locked for 60 more seconds" in locked.content
    assert post(client, adele.username, DEFAULT_PASSWORD).status_code == 429
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.ACCOUNT_LOCKED).count() == 1
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGNIN_REFUSED_LOCKED).count() == 1


@override_settings(TWOFOLD_LOCKOUT={"threshold": 10, "seconds": 60, "ip_failure_limit": 5})
def test_one_address_spraying_many_names_is_throttled() -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    for i in range(5):
        assert post(client, f"user{i}@contoso.example", "Winter2026!").status_code == 401
    throttled = post(client, "user9@contoso.example", "Winter2026!")
    assert throttled.status_code == 429
    assert b"from your network" in throttled.content
    other_network = post(Client(REMOTE_ADDR="198.51.100.1"), "user9@contoso.example", "Winter2026!")
    assert other_network.status_code == 401


def test_forwarded_for_header_is_ignored_unless_behind_a_proxy(adele: User) -> None:
    client = Client(REMOTE_ADDR="203.0.113.9", HTTP_X_FORWARDED_FOR="10.9.9.9")
    post(client, adele.username, DEFAULT_PASSWORD)
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.SIGNIN_SUCCEEDED)
    assert event.ip_address == "203.0.113.9"


def test_disabled_account_is_told_to_contact_the_administrator(adele: User) -> None:
    adele.is_active = False
    adele.save()
    response = post(Client(), adele.username, DEFAULT_PASSWORD)
    assert response.status_code == 403
    assert b"disabled" in response.content


def test_next_parameter_returns_to_the_page_asked_for(adele: User) -> None:
    response = post(Client(), adele.username, DEFAULT_PASSWORD, next="/account/password/")
    assert response["Location"] == "/account/password/"


@pytest.mark.parametrize("target", ["https://evil.example/", "//evil.example/", "/\\evil.example"])
def test_next_parameter_cannot_send_the_user_to_another_site(adele: User, target: str) -> None:
    response = post(Client(), adele.username, DEFAULT_PASSWORD, next=target)
    assert response["Location"] == "/"


def test_sign_in_form_requires_a_csrf_token(adele: User) -> None:
    client = Client(enforce_csrf_checks=True)
    response = post(client, adele.username, DEFAULT_PASSWORD)
    assert response.status_code == 403
    assert b"form has expired" in response.content
    assert "_auth_user_id" not in client.session


def test_signing_in_gives_a_new_session_id(adele: User) -> None:
    # Session fixation: an id planted before sign-in must not become the signed-in one.
    client = Client()
    session = client.session
    session["probe"] = 1
    session.save()
    before = session.session_key
    assert client.cookies[settings.SESSION_COOKIE_NAME].value == before
    post(client, adele.username, DEFAULT_PASSWORD)
    assert client.session.session_key != before
    assert client.session["probe"] == 1


def test_sign_out_needs_post_and_ends_the_session(adele: User) -> None:
    client = Client()
    post(client, adele.username, DEFAULT_PASSWORD)
    assert client.get("/signout/").status_code == 405
    assert client.post("/signout/")["Location"] == "/signin/"
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.SIGNED_OUT, user=adele).exists()


def test_admin_login_goes_through_twofold_sign_in() -> None:
    response = Client().get("/admin/login/")
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/?next=")


@override_settings(SESSION_COOKIE_SECURE=True, SESSION_COOKIE_NAME="__Host-twofold_session")
def test_session_cookie_is_secure_httponly_and_lax(adele: User) -> None:
    response = post(Client(), adele.username, DEFAULT_PASSWORD)
    cookie = response.cookies["__Host-twofold_session"]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie["path"] == "/"

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD, FrozenClock
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("registration_not_required")]


@pytest.fixture
def signed_in(adele: User) -> Client:
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    return client


def change(client: Client, old: str, new: str, again: str | None = None):
    return client.post(
        "/account/password/",
        {"old_password": old, "new_password1": new, "new_password2": again or new},
    )


def test_password_change_works_and_is_audited(signed_in: Client, adele: User) -> None:
    response = change(signed_in, DEFAULT_PASSWORD, "a-new-long-passphrase")
    assert response.status_code == 302
    adele.refresh_from_db()
    assert adele.check_password("a-new-long-passphrase")
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PASSWORD_CHANGED).count() == 1
    assert signed_in.get("/").status_code == 200, "this session stays signed in"


@pytest.mark.parametrize(
    ("new", "again", "message"),
    [
        ("short", None, b"too short"),
        ("a-new-long-passphrase", "different-passphrase", b"didn\xe2\x80\x99t match"),
        ("", None, b"This field is required."),
        ("qwertyuiop", None, b"too common"),
    ],
)
def test_bad_new_password_is_explained(
    signed_in: Client, new: str, again: str | None, message: bytes
) -> None:
    response = change(signed_in, DEFAULT_PASSWORD, new, again)
    assert response.status_code == 400
    assert message in response.content


def test_guessing_the_current_password_hits_the_lockout(
    signed_in: Client, adele: User, clock: FrozenClock
) -> None:
    for i in range(10):
        response = change(signed_in, f"guess-{i}", "a-new-long-passphrase")
        assert response.status_code == 400
    assert b"Too many wrong passwords" in response.content
    response = change(signed_in, DEFAULT_PASSWORD, "a-new-long-passphrase")
    assert b"Too many wrong passwords" in response.content
    adele.refresh_from_db()
    assert adele.check_password(DEFAULT_PASSWORD)


def test_change_password_page_needs_sign_in() -> None:
    assert Client().get("/account/password/").status_code == 302

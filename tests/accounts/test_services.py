from __future__ import annotations

from collections.abc import Callable

import pytest
from argon2 import PasswordHasher
from django.core.exceptions import ValidationError
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD
from twofold.accounts.models import User, UserSession
from twofold.accounts.services import (
    NewUser,
    change_password,
    create_user,
    revoke_sessions,
    set_account_enabled,
)
from twofold.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def errors_of(new: NewUser) -> dict[str, list[str]]:
    with pytest.raises(ValidationError) as caught:
        create_user(new)
    return caught.value.message_dict


def test_principal_name_is_stored_lower_case(make_user: Callable[..., User]) -> None:
    user = make_user("Adele.Vance@Contoso.Example")
    assert user.username == "adele.vance@contoso.example"


def test_duplicate_name_in_other_case_is_refused(adele: User) -> None:
    errors = errors_of(NewUser("ADELE@contoso.example", password=DEFAULT_PASSWORD))
    assert errors["principal_name"] == ["An account with this name already exists."]


@pytest.mark.parametrize(
    "name",
    [
        "adele",
        "adele@",
        "@contoso.example",
        "a b@contoso.example",
        "x" * 300 + "@c.example",
        "adele@contoso",
        "'; DROP TABLE accounts_user; --@x.example",
    ],
)
def test_malformed_principal_names_are_refused_with_an_example(name: str) -> None:
    errors = errors_of(NewUser(name, password=DEFAULT_PASSWORD))
    assert "principal_name" in errors
    assert User.objects.count() == 0


@pytest.mark.parametrize(
    ("password", "fragment"),
    [
        ("short1", "too short"),
        ("password123", "too common"),
        ("1234567890123", "entirely numeric"),
        ("x" * 300, "too long"),
        ("twofold-rocks-2026", "name of your organisation"),
    ],
)
def test_password_policy_gives_a_clear_reason(password: str, fragment: str) -> None:
    errors = errors_of(NewUser("new@contoso.example", password=password))
    assert any(fragment in message for message in errors["password"]), errors


def test_phone_numbers_are_normalised_to_e164(make_user: Callable[..., User]) -> None:
    user = make_user(
        mobile_phone="+31 6 1234 5678",
        office_phone="+1 (425) 555-0123",
        office_phone_extension="1234",
    )
    assert user.mobile_phone == "+31612345678"
    assert user.office_phone == "+14255550123"


def test_impossible_phone_number_is_refused() -> None:
    errors = errors_of(
        NewUser("new@contoso.example", password=DEFAULT_PASSWORD, mobile_phone="+31 12")
    )
    assert "not a phone number that exists" in errors["mobile_phone"][0]


def test_all_problems_are_reported_at_once() -> None:
    errors = errors_of(
        NewUser("bad", password="1", mobile_phone="nonsense", office_phone_extension="12a")
    )
    assert set(errors) == {"principal_name", "password", "mobile_phone", "office_phone_extension"}


def test_password_is_hashed_with_argon2id_at_configured_cost(adele: User) -> None:
    algorithm, rest = adele.password.split("$", 1)
    assert algorithm == "argon2"
    assert rest.startswith("argon2id$v=19$m=19456,t=2,p=1$")
    assert PasswordHasher().verify("$" + rest, DEFAULT_PASSWORD)


def test_creating_a_user_is_audited(adele: User) -> None:
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.USER_CREATED, user=adele).count() == 1


def sign_in(user: User, client: Client) -> str:
    response = client.post("/signin/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert response.status_code == 302
    return client.session.session_key


def test_sessions_are_stored_with_their_user(adele: User) -> None:
    key = sign_in(adele, Client(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="Firefox/140"))
    session = UserSession.objects.get(session_key=key)
    assert session.user == adele
    assert session.ip_address == "198.51.100.7"
    assert session.user_agent == "Firefox/140"
    assert session.signed_in_at is not None


def test_revoking_sessions_signs_the_user_out_everywhere(adele: User) -> None:
    phone, laptop = Client(), Client()
    sign_in(adele, phone)
    sign_in(adele, laptop)
    assert revoke_sessions(adele) == 2
    assert phone.get("/").status_code == 302
    assert laptop.get("/").status_code == 302


def test_changing_password_keeps_this_session_and_ends_the_others(adele: User) -> None:
    here, elsewhere = Client(), Client()
    sign_in(adele, here)
    sign_in(adele, elsewhere)
    request = here.get("/").wsgi_request
    change_password(adele, "a-brand-new-passphrase", request=request)
    assert elsewhere.get("/").status_code == 302
    assert UserSession.objects.filter(user=adele).count() == 1
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.PASSWORD_CHANGED, user=adele).exists()


def test_disabling_a_user_ends_their_sessions(adele: User) -> None:
    client = Client()
    sign_in(adele, client)
    set_account_enabled(adele, False)
    assert client.get("/").status_code == 302
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.USER_DISABLED, user=adele).exists()


def test_a_session_copy_the_cache_kept_after_signing_out_everywhere_is_refused(
    adele: User, registration_not_required: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    from twofold.accounts.services import revoke_sessions
    from twofold.core import shared_cache

    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    assert client.get("/security-info/").status_code == 200
    # The cache misses the deletion, as when Redis is unreachable at that moment and
    # comes back later with the old copy.
    monkeypatch.setattr(shared_cache, "delete_many", lambda keys, what="cache": False)
    assert revoke_sessions(adele) == 1
    response = client.get("/security-info/")
    assert response.status_code == 302
    assert response["Location"].startswith("/signin/")


def test_signing_one_user_out_everywhere_leaves_other_users_signed_in(
    make_user: Callable[..., User], registration_not_required: None
) -> None:
    from twofold.accounts.services import revoke_sessions

    adele = make_user("adele@contoso.example")
    alex = make_user("alex@contoso.example")
    alex_browser = Client()
    alex_browser.post("/signin/", {"username": alex.username, "password": DEFAULT_PASSWORD})
    revoke_sessions(adele)
    assert alex_browser.get("/security-info/").status_code == 200

from __future__ import annotations

import base64
import re

import pytest
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD, FrozenClock, sign_in
from twofold.accounts.models import User
from twofold.apppasswords.models import AppPassword
from twofold.apppasswords.services import (
    MAX_PER_USER,
    AppPasswordRefused,
    authenticate_app_password,
    create_app_password,
)
from twofold.audit.models import AuditEvent
from twofold.policy.services import get_policy

pytestmark = pytest.mark.django_db


@pytest.fixture
def client(adele: User, add_authenticator, clock: FrozenClock) -> Client:
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    return client


def basic(name: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{name}:{password}".encode()).decode()


def test_created_password_is_shown_once_and_stored_only_as_a_keyed_hash(
    client: Client, adele: User
) -> None:
    created = client.post("/security-info/app-passwords/", {"name": "Outlook on my laptop"})
    assert created["Location"] == "/security-info/app-passwords/created/"
    response = client.get(created["Location"])
    assert response.status_code == 200
    password = re.search(r'id="app-password">([a-z]{16})<', response.content.decode()).group(1)  # type: ignore[union-attr]
    record = AppPassword.objects.get(user=adele)
    assert record.name == "Outlook on my laptop"
    assert password not in record.digest and len(record.digest) == 64
    assert password not in client.get("/security-info/app-passwords/").content.decode()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.APP_PASSWORD_CREATED).exists()
    assert authenticate_app_password(adele.username, password) == adele


def test_reloading_the_shown_app_password_makes_no_second_one_and_shows_it_no_more(
    client: Client, adele: User
) -> None:
    created = client.post("/security-info/app-passwords/", {"name": "Thunderbird"})
    first = client.get(created["Location"]).content.decode()
    password = re.search(r'id="app-password">([a-z]{16})<', first).group(1)  # type: ignore[union-attr]
    reloaded = client.get(created["Location"], follow=True)
    assert reloaded.redirect_chain[-1][0] == "/security-info/app-passwords/"
    assert password not in reloaded.content.decode()
    assert "shown only once" in reloaded.content.decode()
    assert AppPassword.objects.filter(user=adele).count() == 1


def test_app_password_never_works_on_the_sign_in_page(adele: User) -> None:
    _record, password = create_app_password(adele, "phone mail")
    response = Client().post("/signin/", {"username": adele.username, "password": password})
    assert response.status_code == 401


def test_the_41st_asks_to_delete_one_first(adele: User) -> None:
    for number in range(MAX_PER_USER):
        create_app_password(adele, f"device {number}")
    with pytest.raises(AppPasswordRefused, match="Delete one you no longer use first"):
        create_app_password(adele, "one too many")
    assert AppPassword.objects.filter(user=adele).count() == MAX_PER_USER


def test_the_41st_through_the_page_gets_the_message(client: Client, adele: User) -> None:
    for number in range(MAX_PER_USER):
        create_app_password(adele, f"device {number}")
    response = client.post("/security-info/app-passwords/", {"name": "one too many"})
    assert response.status_code == 400
    assert "Delete one you no longer use first" in response.content.decode()


@pytest.mark.parametrize(
    ("name", "message"), [("", "Give the app or device a name"), ("x" * 61, "at most 60")]
)
def test_bad_names_get_a_clear_message(client: Client, name: str, message: str) -> None:
    response = client.post("/security-info/app-passwords/", {"name": name})
    assert response.status_code == 400
    assert message in response.content.decode()


def test_deleting_stops_the_password_working(client: Client, adele: User) -> None:
    record, password = create_app_password(adele, "old phone")
    client.post(f"/security-info/app-passwords/{record.pk}/delete/")
    assert not AppPassword.objects.filter(pk=record.pk).exists()
    assert authenticate_app_password(adele.username, password) is None


def test_someone_elses_app_password_is_not_deleted(client: Client, make_user) -> None:
    alex = make_user("alex@contoso.example")
    record, _password = create_app_password(alex, "alex's phone")
    client.post(f"/security-info/app-passwords/{record.pk}/delete/")
    assert AppPassword.objects.filter(pk=record.pk).exists()


def test_creating_needs_a_fresh_verification(client: Client, clock: FrozenClock) -> None:
    clock.advance(11 * 60)
    response = client.post("/security-info/app-passwords/", {"name": "laptop"})
    assert response["Location"].startswith("/security-info/verify/")
    assert not AppPassword.objects.exists()


def test_guessing_app_passwords_locks_the_guessing_address(adele: User) -> None:
    _record, password = create_app_password(adele, "laptop")
    stranger = "198.51.100.23"
    for attempt in range(10):
        guess = f"wrongwrongwrong{attempt}"
        assert authenticate_app_password(adele.username, guess, address=stranger) is None
    assert authenticate_app_password(adele.username, password, address=stranger) is None, (
        "locked, even when right"
    )


def test_strangers_guessing_never_lock_out_the_device_with_the_app_password(adele: User) -> None:
    _record, password = create_app_password(adele, "mail client")
    for network in range(20):
        for attempt in range(11):
            guess = f"wrong{network}x{attempt}"
            authenticate_app_password(adele.username, guess, address=f"198.51.{network}.9")
    device = authenticate_app_password(adele.username, password, address="192.0.2.10")
    assert device == adele


def test_the_same_stale_app_password_from_a_device_counts_once(adele: User) -> None:
    _record, password = create_app_password(adele, "old phone")
    for _ in range(30):
        assert authenticate_app_password(adele.username, "stalestalestale1", "192.0.2.10") is None
    assert authenticate_app_password(adele.username, password, address="192.0.2.10") == adele


def test_policy_can_forbid_app_passwords(client: Client, adele: User) -> None:
    _record, password = create_app_password(adele, "laptop")
    policy = get_policy()
    policy.app_passwords_allowed = False
    policy.save()
    assert client.get("/security-info/app-passwords/").status_code == 404
    with pytest.raises(AppPasswordRefused):
        create_app_password(adele, "another")
    assert authenticate_app_password(adele.username, password) is None


def test_wizard_asks_for_an_app_password_when_policy_says_so(
    adele: User, clock: FrozenClock
) -> None:
    from tests.conftest import totp_code
    from tests.registration.test_wizard import secret_on

    policy = get_policy()
    policy.app_passwords_in_wizard = True
    policy.save()
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    secret = secret_on(client.get("/setup/method/authenticator_code/").content)
    client.post(
        "/setup/method/authenticator_code/", {"code": totp_code(secret, clock.now().timestamp())}
    )
    assert client.get("/setup/done/")["Location"] == "/setup/app-password/"
    assert client.post("/setup/done/")["Location"] == "/setup/app-password/"
    created = client.post("/setup/app-password/", {"name": "Outlook"}, follow=True)
    assert 'id="app-password"' in created.content.decode()
    assert client.get("/setup/done/").status_code == 200
    assert client.post("/setup/done/")["Location"] == "/"

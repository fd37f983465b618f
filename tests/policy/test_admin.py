from __future__ import annotations

import io

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.test import Client, override_settings

from tests.conftest import DEFAULT_PASSWORD, FrozenClock, sign_in
from twofold.accounts.models import User, UserSession
from twofold.accounts.services import change_password
from twofold.audit.models import AuditEvent
from twofold.methods import encryption
from twofold.methods.models import RegisteredMethod
from twofold.policy.services import get_policy, require_reregistration
from twofold.signin.models import TrustedBrowser

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(make_user, add_authenticator, clock: FrozenClock) -> Client:
    admin = make_user("boss@contoso.example", is_admin=True)
    _, secret = add_authenticator(admin)
    client = Client()
    sign_in(client, admin, secret, clock.now().timestamp())
    return client


@pytest.mark.parametrize(
    "path",
    [
        "/admin/",
        "/admin/accounts/user/",
        "/admin/accounts/user/add/",
        "/admin/methods/registeredmethod/",
        "/admin/policy/authenticationpolicy/",
        "/admin/policy/methodpolicy/add/",
        "/admin/policy/usersecuritystate/",
        "/admin/audit/auditevent/",
    ],
)
def test_admin_pages_open(admin_client: Client, path: str) -> None:
    assert admin_client.get(path).status_code == 200


def test_admin_user_page_shows_the_per_user_two_step_state(
    admin_client: Client, adele: User
) -> None:
    page = admin_client.get(f"/admin/accounts/user/{adele.pk}/change/")
    assert page.status_code == 200
    assert b"Two-step verification" in page.content


def test_policy_admin_edits_the_one_policy(admin_client: Client) -> None:
    get_policy()
    response = admin_client.post(
        "/admin/policy/authenticationpolicy/1/change/",
        {
            "mfa_requirement": "everyone",
            "remember_browser_days": "400",
            "registration_required": "on",
            "postpone_days": "3",
            "reconfirm_days": "180",
            "sspr_enabled": "on",
            "sspr_methods_required": "1",
        },
    )
    assert response.status_code == 200, "out-of-range value is refused with the form shown again"
    assert b"less than or equal to 365" in response.content
    assert get_policy().remember_browser_days == 0


def test_require_reregistration_deletes_methods_and_sessions(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    _, secret = add_authenticator(adele)
    client = Client()
    sign_in(client, adele, secret, clock.now().timestamp())
    assert require_reregistration(adele) == 1
    assert not RegisteredMethod.objects.filter(user=adele).exists()
    assert not UserSession.objects.filter(user=adele).exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.REREGISTRATION_REQUIRED).exists()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    assert client.get("/")["Location"] == "/setup/"


def test_new_password_forgets_remembered_browsers(
    adele: User,
    add_authenticator,
    clock: FrozenClock,
) -> None:
    policy = get_policy()
    policy.remember_browser_days = 30
    policy.save()
    _, secret = add_authenticator(adele)
    sign_in(Client(), adele, secret, clock.now().timestamp(), remember_browser="on")
    assert TrustedBrowser.objects.filter(user=adele).count() == 1
    change_password(adele, "another-long-passphrase")
    assert not TrustedBrowser.objects.filter(user=adele).exists()


def test_rotatekeys_reencrypts_secrets_with_the_new_key(adele: User, add_authenticator) -> None:
    old = Fernet.generate_key().decode()
    new = Fernet.generate_key().decode()
    with override_settings(TWOFOLD_ENCRYPTION_KEYS=[old]):
        registered, secret = add_authenticator(adele)
    with override_settings(TWOFOLD_ENCRYPTION_KEYS=[new, old]):
        out = io.StringIO()
        call_command("rotatekeys", stdout=out)
        assert "1 secrets re-encrypted" in out.getvalue()
    registered.refresh_from_db()
    with override_settings(TWOFOLD_ENCRYPTION_KEYS=[new]):
        assert encryption.decrypt_json(registered.encrypted_data) == {"secret": secret}

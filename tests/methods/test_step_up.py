"""Step-up lives in the flows: every entry point that changes security info gets it."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import AnonymousUser
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.test import Client, RequestFactory

from tests.conftest import DEFAULT_PASSWORD, FrozenClock, totp_code
from tests.registration.test_wizard import secret_on
from twofold.accounts.models import User
from twofold.accounts.sessions import SESSION_VERIFIED_AT
from twofold.apppasswords.models import AppPassword
from twofold.apppasswords.services import create_app_password, delete_app_password
from twofold.methods.flows import delete_method, register_method, set_default_method
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import get_method
from twofold.methods.stepup import StepUpRequired
from twofold.policy.services import get_policy

pytestmark = pytest.mark.django_db


def browser_request(user: User, verified_at: float | None):
    request = RequestFactory().post("/")
    request.user = user
    request.session = SessionStore()
    if verified_at is not None:
        request.session[SESSION_VERIFIED_AT] = verified_at
    return request


def test_flows_refuse_changes_from_a_session_not_verified_lately(
    adele: User, add_authenticator, clock: FrozenClock
) -> None:
    phone, _ = add_authenticator(adele, "phone")
    tablet, _ = add_authenticator(adele, "tablet")
    stale = browser_request(adele, verified_at=clock.now().timestamp() - 11 * 60)
    with pytest.raises(StepUpRequired):
        delete_method(adele, phone.pk, request=stale)
    with pytest.raises(StepUpRequired):
        set_default_method(adele, tablet.pk, request=stale)
    with pytest.raises(StepUpRequired):
        create_app_password(adele, "mail", request=stale)
    method = get_method("authenticator_code")
    assert method is not None
    pending = method.begin_registration(adele)
    code = totp_code(pending["secret"], clock.now().timestamp())
    with pytest.raises(StepUpRequired):
        register_method(adele, method, pending, {"code": code}, request=stale)
    assert RegisteredMethod.objects.filter(user=adele).count() == 2
    assert RegisteredMethod.objects.get(pk=phone.pk).is_default
    assert not AppPassword.objects.exists()


def test_flows_go_ahead_for_a_session_verified_minutes_ago(
    adele: User, add_authenticator, clock: FrozenClock
) -> None:
    phone, _ = add_authenticator(adele, "phone")
    fresh = browser_request(adele, verified_at=clock.now().timestamp() - 60)
    record, _password = create_app_password(adele, "mail", request=fresh)
    assert delete_app_password(adele, record.pk, request=fresh)
    assert delete_method(adele, phone.pk, request=fresh)


def test_a_session_cannot_change_another_users_security_info(
    make_user, add_authenticator, clock: FrozenClock
) -> None:
    adele = make_user("adele@contoso.example")
    alex = make_user("alex@contoso.example")
    phone, _ = add_authenticator(adele)
    alex_session = browser_request(alex, verified_at=clock.now().timestamp())
    with pytest.raises(StepUpRequired):
        delete_method(adele, phone.pk, request=alex_session)
    anonymous = browser_request(alex, verified_at=clock.now().timestamp())
    anonymous.user = AnonymousUser()
    with pytest.raises(StepUpRequired):
        create_app_password(adele, "mail", request=anonymous)


def test_the_wizard_app_password_step_needs_a_fresh_verification(
    adele: User, clock: FrozenClock
) -> None:
    policy = get_policy()
    policy.app_passwords_in_wizard = True
    policy.save()
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    secret = secret_on(client.get("/setup/method/authenticator_code/").content)
    code = totp_code(secret, clock.now().timestamp())
    client.post("/setup/method/authenticator_code/", {"code": code})
    clock.advance(11 * 60)  # the person walks away; someone else sits down
    response = client.post("/setup/app-password/", {"name": "Outlook"})
    assert response.status_code == 302
    assert response["Location"].startswith("/security-info/verify/")
    assert not AppPassword.objects.exists()
    page = client.get(response["Location"])
    assert page.status_code == 200, "the verify page opens during the wizard"


def test_a_wizard_method_long_after_sign_in_asks_for_the_password_again(
    adele: User, clock: FrozenClock
) -> None:
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    clock.advance(11 * 60)
    response = client.get("/setup/method/authenticator_code/")
    assert response["Location"].startswith("/security-info/verify/")
    confirm = client.post(response["Location"], {"password": DEFAULT_PASSWORD})
    assert confirm["Location"] == "/setup/method/authenticator_code/"
    page = client.get("/setup/method/authenticator_code/")
    code = totp_code(secret_on(page.content), clock.now().timestamp())
    added = client.post("/setup/method/authenticator_code/", {"code": code})
    assert added["Location"] == "/setup/done/"

from __future__ import annotations

import re

import pytest
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD, FrozenClock, sign_in, totp_code
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.methods.models import RegisteredMethod

pytestmark = pytest.mark.django_db


@pytest.fixture
def phone(adele: User, add_authenticator):
    return add_authenticator(adele, "phone")


@pytest.fixture
def client(adele: User, phone, clock: FrozenClock) -> Client:
    """Adele signed in with password and her phone's code, a moment ago."""
    _registered, secret = phone
    client = Client()
    response = sign_in(client, adele, secret, clock.now().timestamp())
    assert response.status_code == 302
    clock.advance(30)
    return client


def test_page_lists_methods_and_the_default(client: Client) -> None:
    page = client.get("/security-info/")
    assert page.status_code == 200
    assert b'id="default-method">Authenticator app - phone' in page.content
    assert b"Delete" in page.content


def test_adding_a_second_app_then_making_it_the_default(
    client: Client, adele: User, clock: FrozenClock
) -> None:
    page = client.get("/security-info/add/authenticator_code/")
    secret = (
        re.search(rb'id="totp-secret">([A-Z2-7 ]+)<', page.content)
        .group(1)
        .decode()
        .replace(" ", "")
    )
    response = client.post(
        "/security-info/add/authenticator_code/",
        {"code": totp_code(secret, clock.now().timestamp()), "label": "tablet"},
    )
    assert response["Location"] == "/security-info/"
    tablet = RegisteredMethod.objects.get(user=adele, label="tablet")
    assert not tablet.is_default
    bad = client.post("/security-info/default/", {"method": "999999"})
    assert bad.status_code == 400 and b"Choose one of your methods" in bad.content
    assert client.post("/security-info/default/", {"method": tablet.pk}).status_code == 302
    tablet.refresh_from_db()
    assert tablet.is_default


def test_delete_asks_for_confirmation_then_deletes(client: Client, phone, adele: User) -> None:
    registered, _ = phone
    confirm = client.get(f"/security-info/methods/{registered.pk}/delete/")
    assert b"be undone" in confirm.content
    assert RegisteredMethod.objects.filter(pk=registered.pk).exists()
    assert client.post(f"/security-info/methods/{registered.pk}/delete/").status_code == 302
    assert not RegisteredMethod.objects.filter(pk=registered.pk).exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.METHOD_DELETED, user=adele).exists()


def test_changes_need_a_fresh_verification(client: Client, phone, clock: FrozenClock) -> None:
    registered, secret = phone
    clock.advance(11 * 60)
    response = client.post(f"/security-info/methods/{registered.pk}/delete/")
    assert response["Location"].startswith("/security-info/verify/")
    assert RegisteredMethod.objects.filter(pk=registered.pk).exists()
    add = client.get("/security-info/add/authenticator_code/")
    assert (
        add["Location"]
        == "/security-info/verify/?next=%2Fsecurity-info%2Fadd%2Fauthenticator_code%2F"
    )
    wrong = client.post("/security-info/verify/", {"code": "000000", "next": "/security-info/"})
    assert wrong.status_code in (401, 400)
    ok = client.post(
        "/security-info/verify/",
        {
            "code": totp_code(secret, clock.now().timestamp()),
            "next": "/security-info/add/authenticator_code/",
        },
    )
    assert ok["Location"] == "/security-info/add/authenticator_code/"
    assert client.get("/security-info/add/authenticator_code/").status_code == 200


def test_step_up_will_not_redirect_off_site(client: Client, phone, clock: FrozenClock) -> None:
    _, secret = phone
    response = client.post(
        "/security-info/verify/",
        {"code": totp_code(secret, clock.now().timestamp()), "next": "https://evil.example/"},
    )
    assert response["Location"] == "/"


def test_someone_elses_method_is_not_found(client: Client, make_user, add_authenticator) -> None:
    alex = make_user("alex@contoso.example")
    alex_method, _ = add_authenticator(alex)
    assert client.get(f"/security-info/methods/{alex_method.pk}/delete/").status_code == 404
    assert client.post(f"/security-info/methods/{alex_method.pk}/delete/").status_code == 404
    assert RegisteredMethod.objects.filter(pk=alex_method.pk).exists()


def test_unknown_method_kind_is_not_found(client: Client) -> None:
    assert client.get("/security-info/add/carrier-pigeon/").status_code == 404


def test_security_info_needs_sign_in() -> None:
    assert Client().get("/security-info/")["Location"] == "/signin/?next=/security-info/"


def test_security_info_forms_require_csrf(adele: User, phone, clock: FrozenClock) -> None:
    registered, secret = phone
    client = Client(enforce_csrf_checks=True)
    page = client.get("/signin/")
    token = page.context["csrf_token"]
    client.post(
        "/signin/",
        {"username": adele.username, "password": DEFAULT_PASSWORD, "csrfmiddlewaretoken": token},
    )
    client.post(
        "/signin/verify/",
        {"code": totp_code(secret, clock.now().timestamp()), "csrfmiddlewaretoken": token},
    )
    response = client.post(f"/security-info/methods/{registered.pk}/delete/")
    assert response.status_code == 403
    assert RegisteredMethod.objects.filter(pk=registered.pk).exists()


def test_without_a_second_factor_step_up_asks_for_the_password(
    make_user, clock: FrozenClock
) -> None:
    from twofold.policy.services import get_policy

    policy = get_policy()
    policy.registration_required = False
    policy.save()
    lee = make_user("lee@contoso.example")
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    clock.advance(11 * 60)
    add = client.get("/security-info/add/authenticator_code/")
    assert add["Location"].startswith("/security-info/verify/")
    page = client.get(add["Location"])
    assert b"Type your password again" in page.content
    wrong = client.post("/security-info/verify/", {"password": "nope", "next": "/security-info/"})
    assert wrong.status_code == 401
    empty = client.post("/security-info/verify/", {"password": "", "next": "/security-info/"})
    assert empty.status_code == 400
    ok = client.post(
        "/security-info/verify/",
        {"password": DEFAULT_PASSWORD, "next": "/security-info/add/authenticator_code/"},
    )
    assert ok["Location"] == "/security-info/add/authenticator_code/"
    assert client.get("/security-info/add/authenticator_code/").status_code == 200


def test_authenticator_app_links_to_its_fallback_inside_security_info(client: Client) -> None:
    page = client.get("/security-info/add/authenticator_app/")
    assert page.status_code == 200
    assert b'href="/security-info/add/authenticator_code/"' in page.content


def test_the_table_marks_the_default_and_says_never_for_an_unused_method(
    client: Client, adele: User, add_authenticator
) -> None:
    tablet, _secret = add_authenticator(adele, "tablet")
    # Registering counts as a use; a method added by an administrator has never been used.
    RegisteredMethod.objects.filter(pk=tablet.pk).update(last_used_at=None)
    page = client.get("/security-info/").content.decode()
    rows = re.findall(r"<tr>(.*?)</tr>", page, re.S)[1:]
    phone_row = next(row for row in rows if "phone" in row)
    tablet_row = next(row for row in rows if "tablet" in row)
    assert 'class="badge">Default<' in phone_row
    assert "Default" not in tablet_row
    assert "Never" in tablet_row
    assert "Never" not in phone_row

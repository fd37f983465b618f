"""A method declared in one place shows up everywhere: wizard, Security info, sign-in,
step-up, the reset portal and the OpenID Connect "amr" claim, with no other app touched."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django import forms
from django.http import HttpRequest
from django.test import Client
from django.utils.crypto import constant_time_compare

from tests.conftest import DEFAULT_PASSWORD, FrozenClock
from tests.sspr.helpers import start
from twofold.accounts.models import User
from twofold.accounts.sessions import SESSION_AMR
from twofold.methods import registry
from twofold.methods.base import NewMethod, SecurityMethod, VerificationFailed
from twofold.methods.flows import register_method
from twofold.methods.models import RegisteredMethod
from twofold.oidc.claims import amr_values

pytestmark = pytest.mark.django_db

MEMO = "424242"


class MemoCodeForm(forms.Form):
    code = forms.CharField(max_length=20)


class MemoCodeMethod(SecurityMethod):
    """A code written on a memo in the desk drawer: made up for this test only."""

    key = "memo_code"
    name = "Desk memo code"
    description = "Type the code on the memo in your desk drawer."
    strength = 20
    for_two_step = True
    for_password_reset = True
    amr = "pin"
    registration_form = MemoCodeForm
    challenge_form = MemoCodeForm
    # Any template showing form.code will do; a real method ships its own.
    registration_template = "methods/authenticator_code/challenge.html"
    challenge_template = "methods/authenticator_code/challenge.html"

    def begin_registration(self, user: User) -> dict[str, Any]:
        return {}

    def registration_context(
        self, user: User, pending: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        return {}

    def finish_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> NewMethod:
        self._check(cleaned_data)
        return NewMethod(label="drawer", data={})

    def verify(
        self,
        method: RegisteredMethod,
        cleaned_data: dict[str, Any],
        now: dt.datetime,
        state: dict[str, Any],
    ) -> None:
        self._check(cleaned_data)

    @staticmethod
    def _check(cleaned_data: dict[str, Any]) -> None:
        if not constant_time_compare(cleaned_data["code"], MEMO):
            raise VerificationFailed("That memo code isn't right.")


@pytest.fixture
def memo(monkeypatch: pytest.MonkeyPatch) -> SecurityMethod:
    """The method added to the registry's explicit list, and nowhere else."""
    method = MemoCodeMethod()
    monkeypatch.setitem(registry._METHODS, method.key, method)
    return method


def test_the_wizard_offers_and_registers_the_new_method(
    memo: SecurityMethod, adele: User, clock: FrozenClock
) -> None:
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    assert client.get("/")["Location"].startswith("/setup/"), "the wizard interrupts"
    choices = client.get("/setup/choose/").content.decode()
    assert 'href="/setup/method/memo_code/"' in choices and str(memo.name) in choices
    assert client.get("/setup/method/memo_code/").status_code == 200
    assert client.post("/setup/method/memo_code/", {"code": "000000"}).status_code == 400
    assert client.post("/setup/method/memo_code/", {"code": MEMO}).status_code == 302
    registered = RegisteredMethod.objects.get(user=adele)
    assert (registered.kind, registered.is_default) == ("memo_code", True)


def test_security_info_offers_to_add_the_new_method(
    memo: SecurityMethod, adele: User, registration_not_required: None
) -> None:
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    page = client.get("/security-info/").content.decode()
    assert 'href="/security-info/add/memo_code/"' in page and str(memo.name) in page
    assert client.get("/security-info/add/memo_code/").status_code == 200


@pytest.fixture
def adele_with_app_and_memo(
    memo: SecurityMethod, adele: User, add_authenticator: Any, registration_not_required: None
) -> RegisteredMethod:
    """Adele's default is an authenticator app; the memo is her other way."""
    add_authenticator(adele)
    return register_method(adele, memo, {}, {"code": MEMO})


def test_sign_in_offers_the_new_method_as_another_way_and_says_its_amr(
    adele_with_app_and_memo: RegisteredMethod, adele: User
) -> None:
    memo_id = adele_with_app_and_memo.pk
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    assert "Sign in another way" in client.get("/signin/verify/").content.decode()
    other_ways = client.get("/signin/verify/other/").content.decode()
    assert f'href="/signin/verify/?method={memo_id}"' in other_ways
    assert client.get("/signin/verify/", {"method": memo_id}).status_code == 200
    wrong = client.post("/signin/verify/", {"method": memo_id, "code": "000000"})
    assert wrong.status_code == 401 and "That memo code isn&#x27;t right." in wrong.content.decode()
    right = client.post("/signin/verify/", {"method": memo_id, "code": MEMO})
    assert right.status_code == 302
    session_amr = client.session[SESSION_AMR]
    assert "memo_code" in session_amr
    assert amr_values(session_amr) == ["pwd", "pin", "mfa"]


def test_step_up_offers_the_new_method(
    adele_with_app_and_memo: RegisteredMethod, adele: User, clock: FrozenClock
) -> None:
    memo_id = adele_with_app_and_memo.pk
    client = Client()
    client.post("/signin/", {"username": adele.username, "password": DEFAULT_PASSWORD})
    client.post("/signin/verify/", {"method": memo_id, "code": MEMO})
    clock.advance(11 * 60)
    page = client.get("/security-info/verify/", {"next": "/security-info/"}).content.decode()
    assert f"?method={memo_id}&amp;next=" in page and "Use another method:" in page
    assert client.get("/security-info/verify/", {"method": memo_id}).status_code == 200
    posted = {"method": memo_id, "next": "/security-info/default/", "code": MEMO}
    right = client.post("/security-info/verify/", posted)
    assert right["Location"] == "/security-info/default/"
    assert client.get("/security-info/default/").status_code == 200, "stepped up"


def test_the_reset_portal_offers_the_new_method_for_real_and_made_up_names(
    adele_with_app_and_memo: RegisteredMethod, adele: User
) -> None:
    for name in [adele.username, "nobody@contoso.example"]:
        client = Client()
        start(client, name)
        assert 'href="/reset/verify/memo_code/"' in client.get("/reset/verify/").content.decode()
        assert client.get("/reset/verify/memo_code/").status_code == 200
        answer = client.post("/reset/verify/memo_code/", {"code": MEMO})
        if name == adele.username:
            assert answer["Location"] == "/reset/verify/"
        else:
            assert answer.status_code == 401, "a made-up name is refused whatever it answers"


def test_the_new_method_is_gone_again_after_the_test(db: None) -> None:
    assert registry.get_method("memo_code") is None

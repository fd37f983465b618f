"""The alternate mobile phone: its own number, called only, one of each phone kind."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD, FrozenClock
from tests.methods.test_phone_methods import devphone_code, press
from tests.sspr.helpers import start
from twofold.accounts.models import User
from twofold.messaging.models import Outbound
from twofold.methods.flows import AlreadyHasMethod, register_method
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import all_methods, get_method
from twofold.policy.admin import MethodPolicyForm
from twofold.policy.services import get_policy

pytestmark = pytest.mark.django_db

MOBILE = "+31612345678"
ALTERNATE = "+31687654321"
SETUP = "/setup/method/alternate_phone_call/"
ADD = "/security-info/add/alternate_phone_call/"


@pytest.fixture
def lee(make_user) -> User:
    return make_user("lee@contoso.example", mobile_phone=MOBILE)


def signed_in(user: User) -> Client:
    client = Client()
    client.post("/signin/", {"username": user.username, "password": DEFAULT_PASSWORD})
    return client


def register_alternate(client: Client, path: str = SETUP, number: str = "06 87654321") -> None:
    page = client.post(path, {"action": "send", "region": "NL", "number": number})
    assert page.status_code == 200, page.content.decode()
    assert "calling +31 6" in page.content.decode()
    assert client.post(path, {}).status_code == 400, "not answered yet"
    press(client, "#", ALTERNATE)
    assert client.post(path, {}).status_code == 302


def register_text(client: Client, path: str = "/setup/method/phone_text/") -> None:
    client.post(path, {"action": "send", "region": "NL", "number": "0612345678"})
    assert client.post(path, {"code": devphone_code(client)}).status_code == 302


def test_the_wizard_registers_an_alternate_phone_verified_by_a_call(lee: User) -> None:
    client = signed_in(lee)
    choices = client.get("/setup/choose/").content.decode()
    assert f'href="{SETUP}"' in choices and "Alternate phone" in choices
    form = client.get(SETUP).content.decode()
    assert MOBILE not in form, "the directory's mobile number is not the alternate"
    assert "Which other mobile number should we call?" in form
    register_alternate(client)
    method = RegisteredMethod.objects.get(user=lee)
    assert (method.kind, method.data, method.is_default) == (
        "alternate_phone_call",
        {"number": ALTERNATE},
        True,
    )
    assert ALTERNATE not in method.encrypted_data
    call = Outbound.objects.get(channel="call")
    assert (call.to_number, call.budget) == (ALTERNATE, "registration")


def test_the_alternate_phone_is_never_texted(lee: User) -> None:
    client = signed_in(lee)
    register_alternate(client)
    assert not Outbound.objects.filter(channel="text").exists()


def test_signing_in_another_way_with_the_alternate_phone_by_call(
    lee: User, clock: FrozenClock
) -> None:
    client = signed_in(lee)
    register_text(client)
    client.post("/setup/done/")
    register_alternate(client, ADD)
    client.post("/signout/")
    clock.advance(60)
    client = signed_in(lee)
    other_ways = client.get("/signin/verify/other/").content.decode()
    alternate = RegisteredMethod.objects.get(kind="alternate_phone_call")
    assert "Alternate phone: +31 6\u2022\u2022\u2022\u2022\u2022\u202221" in other_ways
    assert f'href="/signin/verify/?method={alternate.pk}"' in other_ways
    assert "87654321" not in other_ways
    page = client.get("/signin/verify/", {"method": alternate.pk}).content.decode()
    assert "calling +31 6" in page
    assert Outbound.objects.filter(channel="call", budget="sign-in").count() == 1
    press(client, "#", ALTERNATE)
    assert client.post("/signin/verify/", {"method": alternate.pk})["Location"] == "/"


def test_the_mobile_number_is_refused_as_the_alternate(lee: User) -> None:
    client = signed_in(lee)
    register_text(client)
    client.post("/setup/done/")
    sent = Outbound.objects.count()
    refused = client.post(ADD, {"action": "send", "region": "NL", "number": "06 12345678"})
    assert refused.status_code == 400
    assert "is already in your security info as Phone: text message" in refused.content.decode()
    assert Outbound.objects.count() == sent, "nothing rings for a refused number"


def test_the_alternate_number_is_refused_as_the_mobile(lee: User) -> None:
    client = signed_in(lee)
    register_alternate(client)
    client.post("/setup/done/")
    refused = client.post(
        "/security-info/add/phone_call/", {"action": "send", "region": "NL", "number": ALTERNATE}
    )
    assert refused.status_code == 400
    assert "is already in your security info as Alternate phone" in refused.content.decode()


@pytest.mark.parametrize("kind", ["phone_text", "phone_call", "alternate_phone_call"])
def test_a_second_phone_of_a_kind_is_refused_and_points_to_security_info(
    lee: User, kind: str
) -> None:
    first = RegisteredMethod(user=lee, kind=kind, is_default=True)
    first.data = {"number": ALTERNATE if kind == "alternate_phone_call" else MOBILE}
    first.save()
    client = signed_in(lee)
    # The second step with the phone already there, which also counts as a fresh verification.
    client.get("/signin/verify/")
    if kind == "phone_text":
        client.post("/signin/verify/", {"code": devphone_code(client)})
    else:
        press(client, "#", first.data["number"])
        client.post("/signin/verify/", {})
    add = f"/security-info/add/{kind}/"
    page = client.get(add)
    assert page.status_code == 200
    text = page.content.decode()
    assert "is already in your security info, and you can have only one" in text
    assert 'href="/security-info/"' in text and 'name="number"' not in text
    assert f'href="{add}"' not in client.get("/security-info/").content.decode()
    sent = Outbound.objects.count()
    other = "0611111111"
    refused = client.post(add, {"action": "send", "region": "NL", "number": other})
    assert refused.status_code == 400
    assert "you can have only one" in refused.content.decode()
    assert Outbound.objects.count() == sent, "no text or call for a refused second phone"
    assert RegisteredMethod.objects.filter(user=lee, kind=kind).count() == 1


def test_the_flow_refuses_a_second_alternate_whatever_the_entry_point(lee: User) -> None:
    method = get_method("alternate_phone_call")
    assert method is not None
    first = RegisteredMethod(user=lee, kind="alternate_phone_call", is_default=True)
    first.data = {"number": ALTERNATE}
    first.save()
    # A second tab that got as far as an answered call to another number.
    call = Outbound.objects.create(
        user=lee, channel="call", to_number="+31611111111", status=Outbound.Status.CONFIRMED
    )
    pending = {"number": "+31611111111", "extension": "", "call_token": call.token}
    with pytest.raises(AlreadyHasMethod) as refused:
        register_method(lee, method, pending, {})
    assert not refused.value.counts_as_failure, "not a wrong answer"
    assert RegisteredMethod.objects.filter(user=lee, kind="alternate_phone_call").count() == 1


def test_security_info_lists_the_alternate_phone_until_one_is_added(lee: User) -> None:
    client = signed_in(lee)
    register_text(client)
    client.post("/setup/done/")
    assert f'href="{ADD}"' in client.get("/security-info/").content.decode()
    register_alternate(client, ADD)
    page = client.get("/security-info/").content.decode()
    assert "Alternate phone" in page and "+31 6\u2022\u2022\u2022\u2022\u2022\u202221" in page
    assert f'href="{ADD}"' not in page


def test_the_alternate_phone_counts_for_sign_in_and_reset_next_to_the_other_calls() -> None:
    method = get_method("alternate_phone_call")
    call = get_method("phone_call")
    assert method is not None and call is not None
    assert method.for_two_step and method.for_password_reset and method.amr == "tel"
    assert method.strength == call.strength
    keys = [m.key for m in all_methods()]
    assert keys.index("alternate_phone_call") == keys.index("phone_call") + 1
    choices = dict(MethodPolicyForm().fields["method_key"].choices)  # type: ignore[attr-defined]
    assert str(choices["alternate_phone_call"]) == "Alternate phone"


def test_the_reset_portal_calls_the_alternate_phone_on_the_reset_budget(
    lee: User, clock: FrozenClock
) -> None:
    policy = get_policy()
    policy.sspr_enabled = True
    policy.save()
    client = signed_in(lee)
    register_alternate(client)
    client.post("/setup/done/")
    client.post("/signout/")
    portal = Client()
    start(portal, lee.username)
    choices = portal.get("/reset/verify/").content.decode()
    assert 'href="/reset/verify/alternate_phone_call/"' in choices
    url = "/reset/verify/alternate_phone_call/"
    assert "alternate phone number" in portal.get(url).content.decode()
    portal.post(url, {"contact": "06 87654321"})
    portal.get(url)
    call = Outbound.objects.filter(channel="call").order_by("-id").first()
    assert call is not None and (call.to_number, call.budget) == (ALTERNATE, "password-reset")
    press(portal, "#", ALTERNATE)
    assert portal.post(url, {})["Location"] == "/reset/verify/"

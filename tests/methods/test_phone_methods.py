"""Phone methods through the pages, with the dev phone standing in for the user's phone."""

from __future__ import annotations

import re

import pytest
from django.test import Client, override_settings

from tests.conftest import DEFAULT_PASSWORD, FrozenClock, sign_in, totp_code
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.core import clock as product_clock
from twofold.fraud.models import FraudAlert
from twofold.fraud.services import report_fraud
from twofold.messaging.models import Outbound
from twofold.methods.flows import register_method
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import get_method
from twofold.policy.models import MethodPolicy

pytestmark = pytest.mark.django_db


@pytest.fixture
def lee(make_user) -> User:
    return make_user(
        "lee@contoso.example",
        mobile_phone="+31612345678",
        office_phone="+31201234567",
        office_phone_extension="1234",
    )


def devphone_code(client: Client, number: str = "+31612345678") -> str:
    page = client.get(f"/devphone/{number}/").content.decode()
    match = re.search(r'class="devphone-body">(\d{6}) is your', page)
    assert match, "the text is on the dev phone"
    return match.group(1)


def press(client: Client, keys: str, number: str = "+31612345678") -> None:
    call = Outbound.objects.filter(to_number=number, channel="call").order_by("-id").first()
    assert call is not None and call.status == Outbound.Status.RINGING
    client.post(f"/devphone/calls/{call.token}/keys/", {"keys": keys})


def register_text(client: Client, number: str = "06 12345678") -> None:
    page = client.post(
        "/setup/method/phone_text/", {"action": "send", "region": "NL", "number": number}
    )
    assert page.status_code == 200, page.content.decode()
    assert "We sent a code to +31 6" in page.content.decode()
    response = client.post("/setup/method/phone_text/", {"code": devphone_code(client)})
    assert response["Location"] == "/setup/done/"
    client.post("/setup/done/")


def test_wizard_registers_a_phone_by_text_through_the_dev_phone(lee: User) -> None:
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    page = client.get("/setup/choose/").content.decode()
    assert "Phone: text message" in page and "Office phone" in page
    form = client.get("/setup/method/phone_text/").content.decode()
    assert 'value="06 12345678"' not in form and 'value="+31612345678"' in form, "directory number"
    register_text(client)
    method = RegisteredMethod.objects.get(user=lee)
    assert (method.kind, method.data["number"], method.is_default) == (
        "phone_text",
        "+31612345678",
        True,
    )
    assert "+31612345678" not in method.encrypted_data


def at_the_text_code_step(user: User) -> Client:
    """A browser that registered texts, signed out, and is back at sign-in's code step."""
    client = Client()
    client.post("/signin/", {"username": user.username, "password": DEFAULT_PASSWORD})
    register_text(client)
    client.post("/signout/")
    client.post("/signin/", {"username": user.username, "password": DEFAULT_PASSWORD})
    client.get("/signin/verify/")
    return client


def test_sign_in_with_a_text_code(lee: User) -> None:
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    register_text(client)
    client.post("/signout/")
    other = Client()
    other.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    page = other.get("/signin/verify/").content.decode()
    assert "We sent a code by text to +31 6" in page
    other.get("/signin/verify/")  # a reload does not send another text
    assert Outbound.objects.filter(channel="text").count() == 2
    wrong = other.post("/signin/verify/", {"code": "000000"})
    assert wrong.status_code == 401 and "code isn" in wrong.content.decode()
    response = other.post("/signin/verify/", {"code": devphone_code(other)})
    assert response.status_code == 302
    assert other.get("/").status_code == 200


def test_resend_sends_a_new_code_and_the_old_one_stops_working(
    lee: User, clock: FrozenClock
) -> None:
    client = at_the_text_code_step(lee)
    # Sign-in's own backoff: the text at the code step and two resends are free.
    client.get("/signin/verify/?resend=1", follow=True)
    client.get("/signin/verify/?resend=1", follow=True)
    first = devphone_code(client)
    too_soon = client.get("/signin/verify/?resend=1", follow=True).content.decode()
    assert "You can ask for another code or call in 30 seconds" in too_soon
    clock.advance(31)
    client.get("/signin/verify/?resend=1", follow=True)
    second = devphone_code(client)
    if first != second:
        assert client.post("/signin/verify/", {"code": first}).status_code == 401
    assert client.post("/signin/verify/", {"code": second}).status_code == 302


def test_expired_text_code_is_refused(lee: User, clock: FrozenClock) -> None:
    client = at_the_text_code_step(lee)
    code = devphone_code(client)
    clock.advance(6 * 60)
    response = client.post("/signin/verify/", {"code": code})
    assert response.status_code == 401
    assert "expired" in response.content.decode()


@pytest.mark.parametrize(
    ("region", "number", "message"),
    [
        ("NL", "12", "doesn&#x27;t exist in the country"),
        ("NL", "hello", "letters aren&#x27;t accepted"),
        ("NL", "---", "look like a phone number"),
        ("NL", "", "Enter your phone number."),
        ("", "0612345678", "Choose your country or region."),
        ("US", "06 12345678", "doesn&#x27;t exist in the country"),
    ],
)
def test_bad_phone_numbers_get_a_clear_message(
    lee: User, region: str, number: str, message: str
) -> None:
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    response = client.post(
        "/setup/method/phone_text/", {"action": "send", "region": region, "number": number}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Outbound.objects.exists()


def test_policy_can_keep_texts_to_some_countries(lee: User) -> None:
    MethodPolicy.objects.create(method_key="phone_text", options={"allowed_regions": ["BE"]})
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    response = client.post(
        "/setup/method/phone_text/", {"action": "send", "region": "NL", "number": "0612345678"}
    )
    assert response.status_code == 400
    assert "doesn&#x27;t allow texts or calls to this country" in response.content.decode()
    assert not Outbound.objects.exists()


def test_asking_again_and_again_must_wait_longer_each_time(lee: User, clock: FrozenClock) -> None:
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})

    def send() -> int:
        data = {"action": "send", "region": "NL", "number": "0612345678"}
        return client.post("/setup/method/phone_text/", data).status_code

    assert [send(), send(), send(), send()] == [200, 200, 200, 400]
    clock.advance(31)
    assert [send(), send()] == [200, 400]
    clock.advance(31)
    assert send() == 400, "the third wait is 60 seconds"
    clock.advance(30)
    assert send() == 200
    assert Outbound.objects.count() == 5


def test_texts_are_limited_per_user(lee: User, clock: FrozenClock) -> None:
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    statuses = []
    for wait in [0, 0, 0, 30, 60, 120]:  # three free sends, then past each backoff wait
        clock.advance(wait)
        data = {"action": "send", "region": "NL", "number": "0612345678"}
        statuses.append(client.post("/setup/method/phone_text/", data).status_code)
    assert statuses == [200] * 5 + [400]
    assert Outbound.objects.count() == 5


@override_settings(
    TWOFOLD_MESSAGE_LIMITS={
        "budgets": {
            "registration": {"per_15_minutes": 100, "per_day": 100, "per_number_hour": 100}
        },
        "per_user_day": 100,
        "per_number_hour": 2,
        "per_country_hour": 100,
    }
)
def test_texts_are_limited_per_destination_number_across_users(make_user) -> None:
    sent = []
    for i in range(3):
        user = make_user(f"u{i}@contoso.example")
        client = Client()
        client.post("/signin/", {"username": user.username, "password": DEFAULT_PASSWORD})
        sent.append(
            client.post(
                "/setup/method/phone_text/",
                {"action": "send", "region": "NL", "number": "0612345678"},
            ).status_code
        )
    assert sent == [200, 200, 400]


def register_call(
    client: Client, path: str = "/setup/method/phone_call/", number: str = "+31612345678"
) -> None:
    data = (
        {"action": "send"}
        if "office" in path
        else {"action": "send", "region": "NL", "number": "0612345678"}
    )
    page = client.post(path, data)
    assert "We&#x27;re calling" in page.content.decode() or "We're calling" in page.content.decode()
    early = client.post(path, {})
    assert early.status_code == 400 and "answer yet" in early.content.decode()
    press(client, "#", number)
    assert client.post(path, {})["Location"] == "/setup/done/"
    client.post("/setup/done/")


def test_register_and_sign_in_with_a_call(lee: User) -> None:
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    register_call(client)
    client.post("/signout/")
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    page = client.get("/signin/verify/").content.decode()
    assert "calling +31 6" in page
    assert client.post("/signin/verify/", {}).status_code == 401, "not answered yet"
    press(client, "#")
    assert client.post("/signin/verify/", {})["Location"] == "/"
    assert not AuditEvent.objects.filter(kind=AuditEvent.Kind.MFA_LOCKED).exists()


def test_office_phone_from_the_directory_is_called_with_its_extension(lee: User) -> None:
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    page = client.get("/setup/method/office_call/").content.decode()
    assert "+31 2" in page and "extension 1234" in page
    assert 'name="number"' not in page, "users can't change the office number"
    register_call(client, "/setup/method/office_call/", "+31201234567")
    call = Outbound.objects.get(channel="call")
    assert call.extension == "1234"
    method = RegisteredMethod.objects.get(user=lee)
    assert method.kind == "office_call"
    assert method.data == {"number": "+31201234567", "extension": "1234"}


def test_office_phone_is_not_offered_without_a_directory_number(make_user) -> None:
    user = make_user("nophone@contoso.example")
    client = Client()
    client.post("/signin/", {"username": user.username, "password": DEFAULT_PASSWORD})
    assert "Office phone" not in client.get("/setup/choose/").content.decode()
    assert client.get("/setup/method/office_call/").status_code == 404


def test_zero_pound_reports_fraud_and_blocks_the_second_step(lee: User) -> None:
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    register_call(client)
    client.post("/signout/")
    attacker = Client()
    attacker.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    attacker.get("/signin/verify/")
    press(attacker, "0#")
    assert FraudAlert.objects.filter(user=lee, resolved_at__isnull=True).count() == 1
    blocked = attacker.post("/signin/verify/", {})
    assert blocked.status_code == 401
    assert "blocked for this account" in blocked.content.decode()
    calls_before = Outbound.objects.filter(channel="call").count()
    again = attacker.get("/signin/verify/?resend=1", follow=True).content.decode()
    assert "blocked for this account" in again
    assert Outbound.objects.filter(channel="call").count() == calls_before, "no more calls go out"


def test_devphone_is_gone_with_a_real_gateway(lee: User) -> None:
    with override_settings(TWOFOLD_SMS_GATEWAY="http"):
        assert Client().get("/devphone/").status_code == 404
        assert Client().get("/devphone/+31612345678/").status_code == 404


def test_admin_resolves_a_fraud_alert_and_the_user_can_verify_again(lee: User, make_user) -> None:
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    register_call(client)
    alert = report_fraud(lee, source="phone call")
    boss = make_user("boss@contoso.example", is_admin=True)
    authenticator = get_method("authenticator_code")
    pending = authenticator.begin_registration(boss)
    now = product_clock.now().timestamp()
    register_method(boss, authenticator, pending, {"code": totp_code(pending["secret"], now)})
    admin = Client()
    sign_in(admin, boss, pending["secret"], now + 30)
    assert admin.get("/admin/fraud/fraudalert/").status_code == 200
    assert admin.get("/admin/messaging/outbound/").status_code == 200
    admin.post("/admin/fraud/fraudalert/", {"action": "resolve", "_selected_action": [alert.pk]})
    alert.refresh_from_db()
    assert alert.resolved_at is not None
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.FRAUD_RESOLVED, actor=boss).exists()
    client.post("/signout/")
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    client.get("/signin/verify/")
    press(client, "#")
    assert client.post("/signin/verify/", {})["Location"] == "/"


def test_reloading_after_send_a_new_code_sends_nothing_more(lee: User, clock: FrozenClock) -> None:
    client = at_the_text_code_step(lee)
    clock.advance(31)
    texts = Outbound.objects.filter(channel="text").count()
    response = client.get("/signin/verify/?resend=1")
    assert response.status_code == 302
    assert "resend" not in response["Location"], "the page lands on an address without it"
    assert Outbound.objects.filter(channel="text").count() == texts + 1
    for _ in range(3):
        assert client.get(response["Location"]).status_code == 200
    assert Outbound.objects.filter(channel="text").count() == texts + 1, "reloads send nothing"


def test_an_expired_registration_code_says_it_expired(lee: User, clock: FrozenClock) -> None:
    client = Client()
    sign_in(client, lee)
    client.post(
        "/setup/method/phone_text/", {"action": "send", "region": "NL", "number": "0612345678"}
    )
    code = devphone_code(client)
    clock.advance(6 * 60)
    response = client.post("/setup/method/phone_text/", {"code": code})
    assert response.status_code == 400
    page = response.content.decode()
    assert "This code has expired. Send a new code and use that one." in page
    assert "isn&#x27;t right" not in page
    assert not RegisteredMethod.objects.filter(user=lee, kind="phone_text").exists()

"""Each journey has its own budget of texts and calls, sized for what a person really does."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.utils import translation

from tests.conftest import DEFAULT_PASSWORD, FrozenClock
from tests.methods.test_phone_methods import devphone_code, press
from twofold.accounts.models import User
from twofold.messaging.models import Outbound
from twofold.messaging.services import SendRefused, send_text

pytestmark = pytest.mark.django_db

REFUSED = ("Too many texts or calls", "You can ask for another")


@pytest.fixture
def lee(make_user) -> User:
    return make_user(
        "lee@contoso.example",
        mobile_phone="+31612345678",
        office_phone="+31201234567",
        office_phone_extension="1234",
    )


def no_refusal(page: str) -> str:
    assert not any(words in page for words in REFUSED), page
    return page


def test_setting_up_text_and_office_phone_then_signing_in_and_stepping_up_meets_no_limit(
    lee: User, clock: FrozenClock
) -> None:
    client = Client()
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    # Registration: a code by text, a typo, a resend, then the office phone's call, twice.
    text = {"action": "send", "region": "NL", "number": "0612345678"}
    no_refusal(client.post("/setup/method/phone_text/", text).content.decode())
    clock.advance(20)
    no_refusal(client.post("/setup/method/phone_text/", text).content.decode())
    clock.advance(20)
    done = client.post("/setup/method/phone_text/", {"code": devphone_code(client)})
    assert done["Location"] == "/setup/done/"
    client.post("/setup/done/")
    # Then the office phone from Security info: the first call was missed.
    add_office = "/security-info/add/office_call/"
    for _ in range(2):
        clock.advance(20)
        page = client.post(add_office, {"action": "send"})
        assert page.status_code == 200, page
        no_refusal(page.content.decode())
    press(client, "#", "+31201234567")
    assert client.post(add_office, {})["Location"] == "/security-info/"
    client.post("/signout/")

    # Sign-in with a text, with one "Send a new code".
    clock.advance(60)
    client.post("/signin/", {"username": lee.username, "password": DEFAULT_PASSWORD})
    no_refusal(client.get("/signin/verify/").content.decode())
    clock.advance(20)
    no_refusal(client.get("/signin/verify/?resend=1", follow=True).content.decode())
    signed_in = client.post("/signin/verify/", {"code": devphone_code(client)})
    assert signed_in.status_code == 302, signed_in.content.decode()

    # Minutes later, a change to security info asks to verify again: by text.
    clock.advance(11 * 60)
    no_refusal(client.get("/security-info/verify/?next=/security-info/").content.decode())
    stepped_up = client.post(
        "/security-info/verify/?next=/security-info/", {"code": devphone_code(client)}
    )
    assert stepped_up.status_code == 302, stepped_up.content.decode()
    assert Outbound.objects.filter(channel="text", to_number="+31612345678").count() == 5
    assert Outbound.objects.filter(channel="call", to_number="+31201234567").count() == 2


def sign_in_text(user: User, number: str = "+31612345678") -> str:
    """A sign-in text; the refusal's message, or "sent"."""
    try:
        send_text(user, number, "123456 is your code", purpose="sign-in")
    except SendRefused as refused:
        return refused.message
    return "sent"


def other_numbers(count: int) -> list[str]:
    return [f"+3161234{5670 + i:04d}" for i in range(count)]


def test_setting_up_phones_leaves_the_sign_in_budget_whole(lee: User, clock: FrozenClock) -> None:
    for number in other_numbers(10):
        send_text(lee, number, "123456 is your code", purpose="registration")
    assert [sign_in_text(lee, number) for number in other_numbers(5)] == ["sent"] * 5
    assert sign_in_text(lee, other_numbers(6)[-1]).startswith("Too many texts or calls")


def test_refused_requests_neither_count_nor_push_the_window_further(
    lee: User, clock: FrozenClock
) -> None:
    first_sent = clock.now()
    assert [sign_in_text(lee, number) for number in other_numbers(5)] == ["sent"] * 5
    for _ in range(30):  # hammering "Send a new code" past the limit
        clock.advance(20)
        assert sign_in_text(lee, other_numbers(6)[-1]).startswith("Too many texts or calls")
    clock.current = first_sent + dt.timedelta(minutes=15, seconds=-1)
    assert sign_in_text(lee, other_numbers(6)[-1]).startswith("Too many texts or calls")
    clock.current = first_sent + dt.timedelta(minutes=15)
    assert sign_in_text(lee, other_numbers(6)[-1]) == "sent"
    assert Outbound.objects.count() == 6


def test_refused_requests_do_not_lengthen_the_backoff(lee: User, clock: FrozenClock) -> None:
    assert [sign_in_text(lee) for _ in range(3)] == ["sent"] * 3
    last_sent = clock.now()
    for _ in range(10):
        clock.advance(2)
        assert "You can ask for another code or call in" in sign_in_text(lee)
    clock.current = last_sent + dt.timedelta(seconds=30)
    assert sign_in_text(lee) == "sent"


def test_the_refusal_says_how_long_to_wait_from_the_real_window(
    lee: User, clock: FrozenClock
) -> None:
    for number in other_numbers(5):
        sign_in_text(lee, number)
    clock.advance(10 * 60 + 30)
    assert sign_in_text(lee, other_numbers(6)[-1]) == (
        "Too many texts or calls were sent. You can ask for another code or call in 5 minutes."
    )
    clock.advance(3 * 60 + 30)
    assert sign_in_text(lee, other_numbers(6)[-1]).endswith(
        "You can ask for another code or call in 1 minute."
    )
    clock.advance(59)
    assert sign_in_text(lee, other_numbers(6)[-1]).endswith(
        "You can ask for another code or call in 1 second."
    )


def test_the_backoff_refusal_says_the_seconds_left(lee: User, clock: FrozenClock) -> None:
    for _ in range(3):
        sign_in_text(lee)
    clock.advance(12)
    assert sign_in_text(lee) == "You can ask for another code or call in 18 seconds."


@override_settings(
    TWOFOLD_MESSAGE_LIMITS={
        **settings.TWOFOLD_MESSAGE_LIMITS,
        "budgets": {
            **settings.TWOFOLD_MESSAGE_LIMITS["budgets"],
            "sign-in": {"per_15_minutes": 5, "per_day": 20, "per_number_hour": 2},
        },
    }
)
def test_a_wait_of_an_hour_or_more_is_told_as_a_time(lee: User, clock: FrozenClock) -> None:
    # The clock stands at 09:00 UTC; the number's hour ends at 10:00.
    sign_in_text(lee)
    clock.advance(40)
    sign_in_text(lee)
    assert sign_in_text(lee) == (
        "Too many texts or calls were sent. You can ask for another code or call after 10:00."
    )


def test_a_limit_that_allows_nothing_says_to_use_another_way(lee: User, clock: FrozenClock) -> None:
    limits = settings.TWOFOLD_MESSAGE_LIMITS
    with override_settings(TWOFOLD_MESSAGE_LIMITS={**limits, "per_country_hour": 0}):
        assert sign_in_text(lee) == (
            "Too many texts or calls were sent. "
            "No more texts or calls can be sent. Choose another way to verify."
        )


def test_the_refusal_is_in_the_persons_language_with_plurals(lee: User, clock: FrozenClock) -> None:
    for number in other_numbers(5):
        sign_in_text(lee, number)
    with translation.override("nl"):
        clock.advance(10 * 60)
        five = sign_in_text(lee, other_numbers(6)[-1])
        clock.advance(4 * 60)
        one = sign_in_text(lee, other_numbers(6)[-1])
    assert one == (
        "Er zijn te veel sms-berichten of oproepen verstuurd. "
        "U kunt over 1 minuut een nieuwe code of oproep aanvragen."
    )
    assert five.endswith("U kunt over 5 minuten een nieuwe code of oproep aanvragen.")

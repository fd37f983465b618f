"""Reset starts, the emails they send and device-API failures are limited with the cache down."""

from __future__ import annotations

import json

import pytest
from django.core import mail
from django.test import Client, RequestFactory

from tests.conftest import FrozenClock
from tests.core.dead_cache import cache_down
from tests.push.soft_device import SoftDevice
from twofold.accounts.models import User
from twofold.methods.base import VerificationFailed
from twofold.methods.email.method import EmailMethod
from twofold.push import services as push_services
from twofold.sspr import services

pytestmark = pytest.mark.django_db


def start(name: str, ip: str = "198.51.100.7") -> str:
    request = RequestFactory().post("/reset/", REMOTE_ADDR=ip)
    request.session = {}  # type: ignore[assignment]
    try:
        services.start_reset(request, name)
    except services.ResetRefused as refused:
        return refused.message
    return "started"


def test_with_the_cache_down_reset_starts_per_name_are_limited(
    adele: User, clock: FrozenClock
) -> None:
    with cache_down():
        outcomes = [start(adele.username, ip=f"198.51.100.{i}") for i in range(12)]
    assert outcomes[:10] == ["started"] * 10
    assert all("Too many password resets" in outcome for outcome in outcomes[10:])


def test_with_the_cache_down_reset_starts_per_address_are_limited(clock: FrozenClock) -> None:
    with cache_down():
        outcomes = [start(f"user{i}@contoso.example") for i in range(31)]
    assert outcomes.count("started") == 30
    assert "Too many password resets" in outcomes[-1]


def test_with_the_cache_down_emails_to_one_address_are_limited(
    adele: User, clock: FrozenClock
) -> None:
    method, refused = EmailMethod(), []
    with cache_down():
        for _ in range(7):
            try:
                method.advance_registration(
                    adele, {}, {"action": "send", "email": "adele.home@example.org"}, clock.now()
                )
            except VerificationFailed as error:
                refused.append(error.message)
    assert len(mail.outbox) == 5
    assert len(refused) == 2 and all("Too many emails" in message for message in refused)


def test_the_email_refusal_says_when_another_can_be_sent(adele: User, clock: FrozenClock) -> None:
    method = EmailMethod()
    data = {"action": "send", "email": "adele.home@example.org"}
    for _ in range(5):
        method.advance_registration(adele, {}, data, clock.now())
    clock.advance(20 * 60)
    with pytest.raises(VerificationFailed) as refused:
        method.advance_registration(adele, {}, data, clock.now())
    assert refused.value.message == (
        "Too many emails were sent. You can ask for another email in 40 minutes."
    )
    clock.advance(40 * 60)
    method.advance_registration(adele, {}, data, clock.now())
    assert len(mail.outbox) == 6


def test_with_the_cache_down_device_api_failures_are_limited(
    adele: User, clock: FrozenClock
) -> None:
    code = push_services.start_activation(adele, "JBSWY3DPEHPK3PXP").code
    device, client = SoftDevice(), Client()

    def activate(typed: str) -> int:
        body = json.dumps(device.activation_body(typed))
        return client.post("/push/api/activate", body, content_type="application/json").status_code

    with cache_down():
        wrong = [activate(f"{(int(code) + 1 + i) % 10**12:012d}") for i in range(20)]
        blocked = activate(code)
    assert wrong == [400] * 20
    assert blocked == 429, "the right code too, once an address has failed 20 times"

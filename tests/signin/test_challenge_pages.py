"""What the challenge pages offer: a Verify button only with something to submit, and nothing
to answer or resend once a fraud report blocks the account."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.test import Client

from tests.conftest import DEFAULT_PASSWORD
from tests.methods.test_phone_methods import press, register_call
from tests.push.conftest import register_device
from twofold.accounts.models import User
from twofold.fraud.services import report_fraud

pytestmark = pytest.mark.django_db

VERIFY_BUTTON = re.compile(r'<button type="submit" class="primary">\s*Verify\s*</button>')


def password_step(user: User) -> Client:
    client = Client()
    client.post("/signin/", {"username": user.username, "password": DEFAULT_PASSWORD})
    return client


def test_a_call_reported_as_fraud_offers_no_new_call_and_no_verify(make_user) -> None:
    lee = make_user("lee@contoso.example", mobile_phone="+31612345678")
    owner = password_step(lee)
    register_call(owner)
    owner.post("/signout/")
    attacker = password_step(lee)
    attacker.get("/signin/verify/")
    press(attacker, "0#")

    page = attacker.get("/signin/verify/").content.decode()
    assert "blocked for this account" in page
    assert "Contact your administrator" in page, "the page says what to do next"
    assert "Call me again" not in page
    assert not VERIFY_BUTTON.search(page)

    answered = attacker.post("/signin/verify/", {}).content.decode()
    assert answered.count("blocked for this account") == 1, "said once"
    assert "Call me again" not in answered
    assert not VERIFY_BUTTON.search(answered)


def test_a_notification_reported_as_fraud_offers_no_new_one_and_no_verify(
    adele: User, clock: Any
) -> None:
    device, _ = register_device(adele)
    client = password_step(adele)
    assert "Send another notification" in client.get("/signin/verify/").content.decode()
    assert device.answer(device.pending()[0], "deny", None, report_fraud=True) == "fraud_reported"

    page = client.get("/signin/verify/").content.decode()
    assert "blocked for this account" in page
    assert "Send another notification" not in page
    assert "Use a code from the app" not in page
    assert not VERIFY_BUTTON.search(page)


def test_the_notification_page_keeps_verify_inside_the_code_block(adele: User, clock: Any) -> None:
    register_device(adele)
    page = password_step(adele).get("/signin/verify/").content.decode()
    details = re.search(r'<details class="manual-entry">(.*?)</details>', page, re.S)
    assert details, "the code is folded away"
    assert 'name="code"' in details.group(1)
    assert VERIFY_BUTTON.search(details.group(1)), "Verify sits with the code field"
    assert len(VERIFY_BUTTON.findall(page)) == 1, "and nowhere else"


def test_a_code_page_blocked_by_a_fraud_report_says_so_and_asks_for_nothing(
    adele: User, add_authenticator: Any
) -> None:
    add_authenticator(adele)
    client = password_step(adele)
    assert 'name="code"' in client.get("/signin/verify/").content.decode()
    report_fraud(adele, source="phone call")
    page = client.get("/signin/verify/").content.decode()
    assert page.count("blocked for this account") == 1
    assert "Contact your administrator" in page
    assert 'name="code"' not in page
    assert not VERIFY_BUTTON.search(page)

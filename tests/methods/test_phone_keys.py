"""The keys pressed on a verification call mean what the phone method says they mean."""

from __future__ import annotations

import pytest

from tests.messaging.calls import SCRIPT
from twofold.accounts.models import User
from twofold.fraud.models import FraudAlert
from twofold.messaging.models import Outbound
from twofold.messaging.services import place_call, record_call_keys
from twofold.methods.phone.keys import answer_call, meaning

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("pressed", "expected"),
    [
        ("#", Outbound.Status.CONFIRMED),
        (" # ", Outbound.Status.CONFIRMED),
        ("0#", Outbound.Status.FRAUD_REPORTED),
        ("1#", None),
        ("", None),
        ("00#", None),
    ],
)
def test_pound_confirms_and_zero_pound_reports_fraud(pressed: str, expected: str | None) -> None:
    assert meaning(pressed) == expected


@pytest.fixture
def ringing(adele: User) -> Outbound:
    return place_call(adele, "+31612345678", "", purpose="test", script=SCRIPT)


def test_a_fraud_report_is_raised_once_however_often_the_keys_come(ringing: Outbound) -> None:
    assert answer_call(ringing, "0#") == Outbound.Status.FRAUD_REPORTED
    # A replayed webhook, or keys pressed again: the call was answered, nothing changes.
    assert answer_call(ringing, "#") == Outbound.Status.FRAUD_REPORTED
    assert FraudAlert.objects.filter(user=ringing.user).count() == 1


def test_wrong_keys_answer_the_call_with_a_wrong_key(ringing: Outbound) -> None:
    assert answer_call(ringing, "5#") == Outbound.Status.WRONG_KEY
    ringing.refresh_from_db()
    assert ringing.digits == "5#"


def test_messaging_takes_only_call_outcomes_as_answers(ringing: Outbound) -> None:
    with pytest.raises(ValueError, match="not a call answer"):
        record_call_keys(ringing, "#", Outbound.Status.DELIVERED)

"""A verification call: what it asks for and what the keys pressed on it mean.

"#" confirms and "0#" reports fraud. Messaging places the call and hears the keys (dev
phone, Twilio webhooks); only this module says what they mean.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from twofold.fraud.services import report_fraud
from twofold.messaging import services as messaging
from twofold.messaging.gateways.base import CallScript
from twofold.messaging.models import Outbound

# The key that ends what the person types: a keypad gathers digits up to it.
FINISH_KEY = "#"
CONFIRM = "#"
REPORT_FRAUD = "0#"


def call_script() -> CallScript:
    """What the call says, in the active language."""
    return CallScript(
        greeting=_("Hello. This is %(organisation)s, calling to verify your sign-in.")
        % {"organisation": settings.TWOFOLD_ORGANISATION_NAME},
        confirm_prompt=_(
            "To finish verifying, press the pound key. "
            "If you did not try to sign in, press zero and then the pound key to report fraud."
        ),
        goodbye_confirmed=_("Thank you. You are verified. Goodbye."),
        goodbye_fraud=_("Thank you. Your report was recorded. Goodbye."),
        goodbye_wrong_key=_("That was not the pound key. Please try again. Goodbye."),
    )


def meaning(pressed: str) -> str | None:
    """The call's outcome the keys ask for: confirmed, fraud reported, or None (nothing)."""
    keys = pressed.strip()
    if keys == CONFIRM:
        return Outbound.Status.CONFIRMED
    if keys == REPORT_FRAUD:
        return Outbound.Status.FRAUD_REPORTED
    return None


def answer_call(call: Outbound, pressed: str) -> str:
    """Record the keys pressed on a verification call; returns the call's status."""
    status, answered_now = messaging.record_call_keys(call, pressed, meaning(pressed))
    # Only the press that answered the call reports: replayed webhooks add no alerts.
    if answered_now and status == Outbound.Status.FRAUD_REPORTED and call.user is not None:
        report_fraud(call.user, source="phone call")
    return status

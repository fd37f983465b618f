"""A call script for placing calls in messaging's own tests (methods write the real ones)."""

from __future__ import annotations

from twofold.messaging.gateways.base import CallScript

SCRIPT = CallScript(
    greeting="Hello.",
    confirm_prompt="Press the pound key.",
    goodbye_confirmed="Verified.",
    goodbye_fraud="Reported.",
    goodbye_wrong_key="Wrong key.",
)

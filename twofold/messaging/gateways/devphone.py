"""The dev phone: texts and calls stay in the database and show on /devphone/.

It lets the whole product run on one machine; a person (or a browser test) reads
the text or presses keys on the page's keypad.
"""

from __future__ import annotations

from twofold.messaging.gateways.base import CallScript, Gateway
from twofold.messaging.models import Outbound


class DevPhoneGateway(Gateway):
    name = "devphone"

    def send_text(self, outbound: Outbound, body: str) -> str:
        outbound.body = body
        outbound.status = Outbound.Status.DELIVERED
        outbound.save(update_fields=["body", "status", "updated_at"])
        return f"devphone-{outbound.pk}"

    def place_call(self, outbound: Outbound, script: CallScript) -> str:
        outbound.body = f"{script.greeting} {script.confirm_prompt}"
        outbound.status = Outbound.Status.RINGING
        outbound.save(update_fields=["body", "status", "updated_at"])
        return f"devphone-{outbound.pk}"

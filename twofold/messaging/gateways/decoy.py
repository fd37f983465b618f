"""The decoy gateway: a made-up account's texts and calls, kept like the dev phone keeps
real ones and sent to nobody.

A made-up account at the password reset portal must do a real send's database work (limits,
backoff history, the row and its updates), or the time and writes would tell it apart; its
rows are marked ``Status.DECOY``, shown nowhere and deleted after a day.
"""

from __future__ import annotations

from twofold.messaging.gateways.base import CallScript, Gateway
from twofold.messaging.models import Outbound


class DecoyGateway(Gateway):
    def __init__(self, configured: Gateway) -> None:
        # The configured gateway's name and abilities: a decoy row reads like a real one.
        self.name = configured.name
        self.supports_calls = configured.supports_calls

    def send_text(self, outbound: Outbound, body: str) -> str:
        return self._keep(outbound)

    def place_call(self, outbound: Outbound, script: CallScript) -> str:
        return self._keep(outbound)

    def _keep(self, outbound: Outbound) -> str:
        # The words are not kept: nobody may read a decoy's code, not even on the dev phone.
        outbound.status = Outbound.Status.DECOY
        outbound.save(update_fields=["body", "status", "updated_at"])
        return f"decoy-{outbound.pk}"

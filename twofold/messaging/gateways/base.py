"""What every SMS/voice gateway offers; one is chosen in settings (TWOFOLD_SMS_GATEWAY)."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

from twofold.messaging.models import Outbound


class GatewayError(Exception):
    """The gateway refused, failed or timed out; the reason is for the log, not the user."""


@dataclass(frozen=True)
class CallScript:
    """What the call says: the purpose, then how to confirm or report fraud."""

    greeting: str
    confirm_prompt: str
    goodbye_confirmed: str
    goodbye_fraud: str
    goodbye_wrong_key: str


class Gateway(ABC):
    name: str
    supports_calls: bool = True

    @abstractmethod
    def send_text(self, outbound: Outbound, body: str) -> str:
        """Send; return the provider's id for the message. Raises GatewayError."""

    def place_call(self, outbound: Outbound, script: CallScript) -> str:
        """Start a call that asks for # (confirm) or 0# (fraud). Raises GatewayError."""
        raise GatewayError(f"{self.name} cannot place calls")

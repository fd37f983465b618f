"""Twilio: texts through the Messages API, calls with TwiML that gathers # or 0#."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.urls import reverse
from twilio.base.exceptions import TwilioException
from twilio.http.http_client import TwilioHttpClient
from twilio.request_validator import RequestValidator
from twilio.rest import Client

from twofold.messaging.gateways.base import CallScript, Gateway, GatewayError
from twofold.messaging.models import Outbound


def _config() -> dict[str, Any]:
    return dict(settings.TWOFOLD_TWILIO)


def public_url(path: str) -> str:
    return settings.TWOFOLD_PUBLIC_URL.rstrip("/") + path


def signature_is_valid(url: str, params: dict[str, str], signature: str) -> bool:
    """Twilio signs every webhook with the auth token (HMAC-SHA1 of URL and parameters)."""
    validator = RequestValidator(_config()["auth_token"])
    return bool(signature) and validator.validate(url, params, signature)


class TwilioGateway(Gateway):
    name = "twilio"

    def _client(self) -> Client:
        config = _config()
        client = Client(
            config["account_sid"],
            config["auth_token"],
            http_client=TwilioHttpClient(timeout=settings.TWOFOLD_GATEWAY_TIMEOUT_SECONDS),
        )
        # Regional edge or a stand-in server in tests; api.twilio.com by default.
        client.api.base_url = config["api_url"]
        return client

    def send_text(self, outbound: Outbound, body: str) -> str:
        try:
            message = self._client().messages.create(
                to=outbound.to_number,
                from_=_config()["from_number"],
                body=body,
                status_callback=public_url(
                    reverse("messaging_twilio_status", args=[outbound.token])
                ),
            )
        except (TwilioException, OSError) as error:
            raise GatewayError(f"Twilio refused the text: {error}") from error
        return str(message.sid)

    def place_call(self, outbound: Outbound, script: CallScript) -> str:
        options: dict[str, Any] = {
            "to": outbound.to_number,
            "from_": _config()["from_number"],
            "url": public_url(reverse("messaging_twilio_voice", args=[outbound.token])),
            "status_callback": public_url(
                reverse("messaging_twilio_status", args=[outbound.token])
            ),
        }
        if outbound.extension:
            # "w" waits half a second: let the switchboard answer before dialling on.
            options["send_digits"] = "wwww" + outbound.extension
        try:
            call = self._client().calls.create(**options)
        except (TwilioException, OSError) as error:
            raise GatewayError(f"Twilio refused the call: {error}") from error
        return str(call.sid)

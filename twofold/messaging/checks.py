"""System checks for the text and call gateway settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "testserver"}


@register("twofold")
def check_gateway(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    gateway = settings.TWOFOLD_SMS_GATEWAY
    problems: list[CheckMessage] = []
    if gateway == "devphone" and set(settings.ALLOWED_HOSTS) - _LOCAL_HOSTS:
        problems.append(
            Error(
                "The dev phone gateway is on while Twofold answers to non-local host names.",
                hint="The dev phone shows every code to anyone who opens it: set "
                "TWOFOLD_SMS_GATEWAY to twilio or http for a real deployment.",
                id="twofold.E101",
            )
        )
    if gateway == "twilio":
        missing = [key for key, value in settings.TWOFOLD_TWILIO.items() if not value]
        if missing:
            problems.append(
                Error(
                    f"Twilio is the gateway but these settings are empty: {', '.join(missing)}.",
                    hint="Set TWOFOLD_TWILIO_ACCOUNT_SID, TWOFOLD_TWILIO_AUTH_TOKEN and "
                    "TWOFOLD_TWILIO_FROM.",
                    id="twofold.E102",
                )
            )
    if gateway == "http":
        config = settings.TWOFOLD_HTTP_SMS
        if not config["url"]:
            problems.append(
                Error("The HTTP SMS gateway needs TWOFOLD_HTTP_SMS_URL.", id="twofold.E103")
            )
        if config["body_format"] not in {"form", "json", "none"}:
            problems.append(
                Error("TWOFOLD_HTTP_SMS_BODY_FORMAT must be form, json or none.", id="twofold.E104")
            )
    return problems

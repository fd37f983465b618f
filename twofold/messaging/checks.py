"""System checks for the text and call gateway settings."""

from __future__ import annotations

import ipaddress
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import CheckMessage, Error, register

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "testserver"}


@register("twofold")
def check_gateway(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    gateway = settings.TWOFOLD_SMS_GATEWAY
    problems: list[CheckMessage] = []
    allowed = settings.TWOFOLD_ALLOW_DEVPHONE
    if gateway == "devphone" and not allowed and set(settings.ALLOWED_HOSTS) - _LOCAL_HOSTS:
        problems.append(
            Error(
                "The dev phone gateway is on while Twofold answers to non-local host names.",
                hint="The dev phone shows every code to anyone who opens it: set "
                "TWOFOLD_SMS_GATEWAY to twilio or http for a real deployment.",
                id="twofold.E101",
            )
        )
    # A proxy that sends "Host: 127.0.0.1" passes the check above: the public address
    # says where people really reach Twofold.
    if gateway == "devphone" and not allowed and not _is_loopback_url(settings.TWOFOLD_PUBLIC_URL):
        problems.append(
            Error(
                f"The dev phone gateway is on while TWOFOLD_PUBLIC_URL "
                f"({settings.TWOFOLD_PUBLIC_URL}) is not a loopback address.",
                hint="Set TWOFOLD_SMS_GATEWAY to twilio or http for a real deployment, or "
                "TWOFOLD_ALLOW_DEVPHONE=true for a test system whose codes may be seen.",
                id="twofold.E105",
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


def _is_loopback_url(url: str) -> bool:
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False

"""A generic HTTP SMS gateway: many organisations have their own, or a local provider.

Configured with a URL template, a method, headers, form or JSON fields and a success
check; ``{to}``, ``{to_digits}`` and ``{body}`` are filled in (escaped for where they go).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

import requests
from django.conf import settings

from twofold.messaging.gateways.base import Gateway, GatewayError
from twofold.messaging.models import Outbound


def _fill(template: str, values: dict[str, str]) -> str:
    # str.format would let a template reach attributes ({to.__class__}); plain replace cannot.
    for key, value in values.items():
        template = template.replace("{" + key + "}", value)
    return template


class HttpGateway(Gateway):
    name = "http"
    supports_calls = False

    def send_text(self, outbound: Outbound, body: str) -> str:
        config: dict[str, Any] = settings.TWOFOLD_HTTP_SMS
        values = {
            "to": outbound.to_number,
            "to_digits": outbound.to_number.lstrip("+"),
            "body": body,
        }
        url = _fill(config["url"], {key: quote(value, safe="") for key, value in values.items()})
        fields = {name: _fill(str(template), values) for name, template in config["fields"].items()}
        request: dict[str, Any] = {"headers": config["headers"]}
        if config["body_format"] == "json":
            request["json"] = fields
        elif config["body_format"] == "form":
            request["data"] = fields
        try:
            response = requests.request(
                config["method"],
                url,
                timeout=settings.TWOFOLD_GATEWAY_TIMEOUT_SECONDS,
                allow_redirects=False,
                **request,
            )
        except requests.RequestException as error:
            raise GatewayError(f"SMS gateway unreachable: {type(error).__name__}") from error
        if not 200 <= response.status_code < 300:
            raise GatewayError(f"SMS gateway answered HTTP {response.status_code}")
        success = config.get("success_pattern") or ""
        if success and not re.search(success, response.text):
            raise GatewayError("SMS gateway answer did not match the success pattern")
        match = re.search(config.get("id_pattern") or r"(?!)", response.text)
        return match.group(1) if match and match.groups() else ""

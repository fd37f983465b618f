from __future__ import annotations

from django.conf import settings
from django.utils.module_loading import import_string

from twofold.messaging.gateways.base import Gateway

_BUILT_IN = {
    "devphone": "twofold.messaging.gateways.devphone.DevPhoneGateway",
    "twilio": "twofold.messaging.gateways.twilio.TwilioGateway",
    "http": "twofold.messaging.gateways.http.HttpGateway",
}


def get_gateway() -> Gateway:
    """The configured gateway: a built-in name, or the dotted path of a Gateway subclass."""
    name = settings.TWOFOLD_SMS_GATEWAY
    gateway_class = import_string(_BUILT_IN.get(name, name))
    return gateway_class()

from __future__ import annotations

import json

import pytest
from django.test import override_settings

from tests.messaging.calls import SCRIPT
from tests.messaging.provider import FakeProvider
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.messaging.models import Outbound
from twofold.messaging.services import SendRefused, send_text

pytestmark = pytest.mark.django_db


def http_settings(provider: FakeProvider, **overrides: object) -> dict[str, object]:
    config = {
        "url": provider.url + "/api/send?to={to}&ref=twofold",
        "method": "POST",
        "headers": {"Authorization": "Bearer s3cret-key"},
        "fields": {"to": "{to}", "message": "{body}", "sender": "Contoso"},
        "body_format": "form",
        "success_pattern": r'"ok":\s*true',
        "id_pattern": r'"id":\s*"([^"]+)"',
    }
    config.update(overrides)
    return {"TWOFOLD_SMS_GATEWAY": "http", "TWOFOLD_HTTP_SMS": config}


def test_form_post_carries_exactly_the_configured_request(
    adele: User, provider: FakeProvider
) -> None:
    provider.reply = b'{"ok": true, "id": "msg-42"}'
    with override_settings(**http_settings(provider)):
        outbound = send_text(adele, "+31612345678", "123456 is your code & more", purpose="test")
    (request,) = provider.requests
    assert request.method == "POST"
    assert request.path == "/api/send"
    assert request.query == {"to": ["+31612345678"], "ref": ["twofold"]}
    assert request.headers["Authorization"] == "Bearer s3cret-key"
    assert request.form == {
        "to": ["+31612345678"],
        "message": ["123456 is your code & more"],
        "sender": ["Contoso"],
    }
    assert outbound.provider_id == "msg-42"
    assert outbound.status == Outbound.Status.SENT
    assert outbound.body == "", "real gateways keep no message text"


def test_json_body_format_sends_json(adele: User, provider: FakeProvider) -> None:
    provider.reply = b'{"ok": true}'
    fields = {"recipient": "{to_digits}", "text": "{body}"}
    with override_settings(**http_settings(provider, body_format="json", fields=fields)):
        send_text(adele, "+31612345678", 'say "hi"', purpose="test")
    (request,) = provider.requests
    assert json.loads(request.body) == {"recipient": "31612345678", "text": 'say "hi"'}
    assert request.headers["Content-Type"] == "application/json"


@pytest.mark.parametrize(
    ("status", "reply"),
    [(500, b"boom"), (200, b'{"ok": false, "error": "no credit"}'), (302, b"")],
)
def test_refusal_is_a_clear_message_an_audit_entry_and_a_failed_record(
    adele: User, provider: FakeProvider, status: int, reply: bytes
) -> None:
    provider.status, provider.reply = status, reply
    with override_settings(**http_settings(provider)), pytest.raises(SendRefused) as refused:
        send_text(adele, "+31612345678", "123456", purpose="test")
    assert "couldn't send a text" in refused.value.message
    assert Outbound.objects.get().status == Outbound.Status.FAILED
    event = AuditEvent.objects.get(kind=AuditEvent.Kind.GATEWAY_FAILED)
    assert event.details["gateway"] == "http"


def test_timeout_is_a_clear_message(adele: User, provider: FakeProvider) -> None:
    provider.delay_seconds = 2
    with override_settings(**http_settings(provider), TWOFOLD_GATEWAY_TIMEOUT_SECONDS=0.3):
        with pytest.raises(SendRefused):
            send_text(adele, "+31612345678", "123456", purpose="test")
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.GATEWAY_FAILED).count() == 1


def test_unreachable_gateway_is_a_clear_message(adele: User) -> None:
    settings = {
        "TWOFOLD_SMS_GATEWAY": "http",
        "TWOFOLD_HTTP_SMS": {
            "url": "http://127.0.0.1:9/send", "method": "POST", "headers": {}, "fields": {},
            "body_format": "form", "success_pattern": "", "id_pattern": "",
        },
    }  # fmt: skip
    with override_settings(**settings), pytest.raises(SendRefused):
        send_text(adele, "+31612345678", "123456", purpose="test")


def test_http_gateway_cannot_call(adele: User, provider: FakeProvider) -> None:
    from twofold.messaging.services import place_call
    from twofold.policy.services import allowed_methods

    with override_settings(**http_settings(provider)):
        with pytest.raises(SendRefused, match="calls aren't available"):
            place_call(adele, "+31612345678", "", purpose="test", script=SCRIPT)
        keys = [method.key for method in allowed_methods(adele)]
    assert "phone_text" in keys and "phone_call" not in keys
    assert provider.requests == []

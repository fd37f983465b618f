from __future__ import annotations

import base64

import pytest
from django.core import mail
from django.test import Client, override_settings
from twilio.request_validator import RequestValidator

from tests.messaging.calls import SCRIPT
from tests.messaging.provider import FakeProvider
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.fraud.models import FraudAlert
from twofold.messaging.models import Outbound
from twofold.messaging.services import SendRefused, place_call, send_text

pytestmark = pytest.mark.django_db

SID = "AC0123456789abcdef0123456789abcdef"
TOKEN = "twilio-auth-token-for-tests"
PUBLIC = "https://id.contoso.example"


def twilio_settings(provider: FakeProvider) -> dict[str, object]:
    return {
        "TWOFOLD_SMS_GATEWAY": "twilio",
        "TWOFOLD_PUBLIC_URL": PUBLIC,
        "TWOFOLD_TWILIO": {
            "account_sid": SID,
            "auth_token": TOKEN,
            "from_number": "+15005550006",
            "api_url": provider.url,
        },
    }


@pytest.fixture
def twilio(provider: FakeProvider):
    provider.status = 201
    with override_settings(**twilio_settings(provider)):
        yield provider


def test_text_goes_to_the_messages_api_with_auth_and_callback(
    adele: User, twilio: FakeProvider
) -> None:
    twilio.reply = b'{"sid": "SM42", "status": "queued"}'
    outbound = send_text(adele, "+31612345678", "123456 is your code", purpose="test")
    (request,) = twilio.requests
    assert request.method == "POST"
    assert request.path == f"/2010-04-01/Accounts/{SID}/Messages.json"
    expected_auth = "Basic " + base64.b64encode(f"{SID}:{TOKEN}".encode()).decode()
    assert request.headers["Authorization"] == expected_auth
    assert request.form == {
        "To": ["+31612345678"],
        "From": ["+15005550006"],
        "Body": ["123456 is your code"],
        "StatusCallback": [f"{PUBLIC}/hooks/twilio/status/{outbound.token}/"],
    }
    assert outbound.provider_id == "SM42"


def test_call_asks_twilio_for_twiml_and_dials_the_extension(
    adele: User, twilio: FakeProvider
) -> None:
    twilio.reply = b'{"sid": "CA42", "status": "queued"}'
    outbound = place_call(adele, "+31201234567", "1234", purpose="test", script=SCRIPT)
    (request,) = twilio.requests
    assert request.path == f"/2010-04-01/Accounts/{SID}/Calls.json"
    assert request.form == {
        "To": ["+31201234567"],
        "From": ["+15005550006"],
        "Url": [f"{PUBLIC}/hooks/twilio/voice/{outbound.token}/"],
        "StatusCallback": [f"{PUBLIC}/hooks/twilio/status/{outbound.token}/"],
        "SendDigits": ["wwww1234"],
    }
    assert outbound.status == Outbound.Status.RINGING


def test_twilio_error_is_a_clear_message_and_audited(adele: User, twilio: FakeProvider) -> None:
    twilio.status = 400
    twilio.reply = b'{"code": 21211, "message": "Invalid To number", "status": 400}'
    with pytest.raises(SendRefused, match="couldn't send a text"):
        send_text(adele, "+31612345678", "123456", purpose="test")
    assert Outbound.objects.get().status == Outbound.Status.FAILED
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.GATEWAY_FAILED).exists()


def signed_post(client: Client, path: str, params: dict[str, str], *, forged: bool = False):
    signature = RequestValidator(TOKEN).compute_signature(PUBLIC + path, params)
    if forged:
        signature = signature[:-4] + "AAAA"
    return client.post(path, params, HTTP_X_TWILIO_SIGNATURE=signature)


@pytest.fixture
def ringing_call(adele: User, twilio: FakeProvider) -> Outbound:
    twilio.reply = b'{"sid": "CA42", "status": "queued"}'
    return place_call(adele, "+31612345678", "", purpose="test", script=SCRIPT)


def test_voice_webhook_answers_twiml_that_gathers_pound(ringing_call: Outbound) -> None:
    path = f"/hooks/twilio/voice/{ringing_call.token}/"
    response = signed_post(Client(), path, {"CallSid": "CA42", "From": "+15005550006"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/xml"
    body = response.content.decode()
    assert '<Gather action="https://id.contoso.example/hooks/twilio/voice/' in body
    assert 'finishOnKey="#"' in body
    assert "press the pound key" in body


@pytest.mark.parametrize("forged", ["bad", "missing"])
def test_forged_or_missing_signature_is_refused(ringing_call: Outbound, forged: str) -> None:
    path = f"/hooks/twilio/voice/{ringing_call.token}/keys/"
    client = Client()
    if forged == "bad":
        response = signed_post(client, path, {"Digits": ""}, forged=True)
    else:
        response = client.post(path, {"Digits": ""})
    assert response.status_code == 403
    ringing_call.refresh_from_db()
    assert ringing_call.status == Outbound.Status.RINGING, "a forged answer confirms nothing"


def test_pound_confirms_the_call(ringing_call: Outbound) -> None:
    response = signed_post(
        Client(), f"/hooks/twilio/voice/{ringing_call.token}/keys/", {"Digits": ""}
    )
    assert response.status_code == 200
    assert "<Hangup" in response.content.decode()
    ringing_call.refresh_from_db()
    assert ringing_call.status == Outbound.Status.CONFIRMED


def test_zero_pound_reports_fraud_and_tells_the_admins(ringing_call: Outbound, make_user) -> None:
    make_user("boss@contoso.example", is_admin=True)
    signed_post(Client(), f"/hooks/twilio/voice/{ringing_call.token}/keys/", {"Digits": "0"})
    ringing_call.refresh_from_db()
    assert ringing_call.status == Outbound.Status.FRAUD_REPORTED
    assert FraudAlert.objects.filter(user=ringing_call.user, resolved_at__isnull=True).exists()
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.FRAUD_REPORTED).exists()
    assert [m.to for m in mail.outbox] == [["boss@contoso.example"]]


def test_status_callback_is_recorded_and_never_undoes_a_confirmation(
    ringing_call: Outbound,
) -> None:
    path = f"/hooks/twilio/status/{ringing_call.token}/"
    assert signed_post(Client(), path, {"CallStatus": "no-answer"}).status_code == 204
    ringing_call.refresh_from_db()
    assert ringing_call.status == Outbound.Status.NO_ANSWER
    ringing_call.status = Outbound.Status.CONFIRMED
    ringing_call.save()
    signed_post(Client(), path, {"CallStatus": "completed"})
    signed_post(Client(), path, {"CallStatus": "failed"})
    ringing_call.refresh_from_db()
    assert ringing_call.status == Outbound.Status.CONFIRMED


def test_text_status_callback_marks_delivery(adele: User, twilio: FakeProvider) -> None:
    twilio.reply = b'{"sid": "SM42", "status": "queued"}'
    outbound = send_text(adele, "+31612345678", "123456", purpose="test")
    signed_post(Client(), f"/hooks/twilio/status/{outbound.token}/", {"MessageStatus": "delivered"})
    outbound.refresh_from_db()
    assert outbound.status == Outbound.Status.DELIVERED


def test_webhook_for_an_unknown_call_is_404(twilio: FakeProvider) -> None:
    assert (
        signed_post(Client(), "/hooks/twilio/voice/nope/keys/", {"Digits": ""}).status_code == 404
    )

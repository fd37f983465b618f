"""The device API over HTTP (twofold.push.views): status codes and JSON bodies as in
authenticator/PROTOCOL.md."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from tests.conftest import FrozenClock
from tests.push.conftest import other_number, send
from tests.push.soft_device import SoftDevice
from twofold.accounts.models import User
from twofold.policy.models import MethodPolicy
from twofold.policy.services import forget_policy_snapshot
from twofold.push import services
from twofold.push.models import PushActivation, PushChallenge

pytestmark = pytest.mark.django_db

ACTIVATE = "/push/api/activate"
RESPOND = "/push/api/respond"
POLL = "/push/api/poll"


def post_json(client: Client, path: str, body: Any, **extra: Any):
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(path, data, content_type="application/json", **extra)


def error_of(response: Any) -> str:
    body = response.json()
    assert body["message"], "every error carries a readable message"
    return body["error"]


def not_cached(response: Any) -> bool:
    cache_control = response.get("Cache-Control", "")
    return "no-store" in cache_control or "max-age=0" in cache_control


@pytest.fixture
def code(adele: User, clock: FrozenClock) -> str:
    return services.start_activation(adele, "JBSWY3DPEHPK3PXP").code


def poll(client: Client, device: SoftDevice, clock: FrozenClock, **extra: Any):
    return client.get(POLL, device.poll_query(int(clock.now().timestamp())), **extra)


# --- Activation -------------------------------------------------------------------------


def test_activation_returns_what_the_app_needs(client: Client, code: str, adele: User) -> None:
    device = SoftDevice()
    response = post_json(client, ACTIVATE, device.activation_body(code, "Adele's phone"))
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["account"] == adele.username
    assert body["device_id"] == PushActivation.objects.get(user=adele).device_id
    assert body["totp"] == {
        "secret": "JBSWY3DPEHPK3PXP",
        "digits": 6,
        "period": 30,
        "algorithm": "SHA1",
    }
    assert body["require_pin"] is False
    assert body["issuer"]
    assert body["poll_url"] == "http://testserver/push/api/poll"
    assert body["respond_url"] == "http://testserver/push/api/respond"
    assert not_cached(response)


def test_activation_tells_the_app_when_a_pin_is_required(client: Client, code: str) -> None:
    MethodPolicy.objects.update_or_create(
        method_key=services.METHOD_KEY, defaults={"options": {"require_pin": True}}
    )
    forget_policy_snapshot()
    response = post_json(client, ACTIVATE, SoftDevice().activation_body(code))
    assert response.status_code == 200
    assert response.json()["require_pin"] is True


def test_activation_needs_no_csrf_token(code: str) -> None:
    client = Client(enforce_csrf_checks=True)
    response = post_json(client, ACTIVATE, SoftDevice().activation_body(code))
    assert response.status_code == 200, response.content


def test_used_code_is_refused(client: Client, code: str) -> None:
    assert post_json(client, ACTIVATE, SoftDevice().activation_body(code)).status_code == 200
    response = post_json(client, ACTIVATE, SoftDevice().activation_body(code))
    assert response.status_code == 400
    assert error_of(response) == "invalid_code"
    assert not_cached(response)


def test_activation_with_a_proof_by_another_key_is_refused(client: Client, code: str) -> None:
    body = SoftDevice().activation_body(code)
    body["proof"] = SoftDevice().activation_body(code)["proof"]
    response = post_json(client, ACTIVATE, body)
    assert response.status_code == 400
    assert error_of(response) == "invalid_request"


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"", b"null", b"[]", b'"code"', b"\xff\xfe{}"],
    ids=["broken", "empty", "null", "array", "string", "not-utf8"],
)
def test_malformed_json_is_an_invalid_request(client: Client, code: str, raw: bytes) -> None:
    for path in (ACTIVATE, RESPOND):
        response = post_json(client, path, raw)
        assert response.status_code == 400, path
        assert error_of(response) == "invalid_request"


@pytest.mark.parametrize("field", ["code", "public_key", "proof"])
def test_activation_without_a_required_field_is_an_invalid_request(
    client: Client, code: str, field: str
) -> None:
    body = SoftDevice().activation_body(code)
    del body[field]
    response = post_json(client, ACTIVATE, body)
    assert response.status_code == 400
    assert error_of(response) == "invalid_request"
    assert not PushActivation.objects.exclude(device_id="").exists()


@pytest.mark.parametrize(
    "change",
    [
        {"code": 123456789012},
        {"public_key": ["key"]},
        {"proof": {"sig": "x"}},
        {"device_name": 7},
        {"code": "1" * 41},
        {"device_name": "x" * 101},
    ],
    ids=["code-int", "key-list", "proof-object", "name-int", "code-long", "name-long"],
)
def test_activation_with_a_wrong_type_is_an_invalid_request(
    client: Client, code: str, change: dict[str, Any]
) -> None:
    response = post_json(client, ACTIVATE, {**SoftDevice().activation_body(code), **change})
    assert response.status_code == 400
    assert error_of(response) == "invalid_request"


def test_activation_without_a_device_name_is_accepted(client: Client, code: str) -> None:
    body = SoftDevice().activation_body(code)
    del body["device_name"]
    assert post_json(client, ACTIVATE, body).status_code == 200


def test_body_over_4096_bytes_is_refused(client: Client, code: str) -> None:
    body = SoftDevice().activation_body(code)
    fitting = json.dumps({**body, "padding": ""}).encode()
    exactly = json.dumps({**body, "padding": "x" * (4096 - len(fitting))}).encode()
    too_large = json.dumps({**body, "padding": "x" * (4097 - len(fitting))}).encode()
    assert (len(exactly), len(too_large)) == (4096, 4097)

    response = post_json(client, ACTIVATE, too_large)
    assert response.status_code == 400
    assert error_of(response) == "invalid_request"
    assert post_json(client, ACTIVATE, exactly).status_code == 200


@pytest.mark.parametrize(
    ("method", "path"),
    [("get", ACTIVATE), ("get", RESPOND), ("put", ACTIVATE), ("post", POLL)],
)
def test_wrong_http_method_is_not_allowed(client: Client, method: str, path: str) -> None:
    assert getattr(client, method)(path).status_code == 405


def test_twenty_failures_from_one_address_block_the_next_request(client: Client, code: str) -> None:
    device = SoftDevice()
    for attempt in range(20):
        wrong = f"{(int(code) + 1 + attempt) % 10**12:012d}"
        response = post_json(client, ACTIVATE, device.activation_body(wrong))
        assert response.status_code == 400
        assert error_of(response) == "invalid_code"

    blocked = post_json(client, ACTIVATE, device.activation_body(code))
    assert blocked.status_code == 429
    assert error_of(blocked) == "rate_limited"
    assert blocked["Retry-After"] == "600"
    assert not PushActivation.objects.exclude(device_id="").exists()

    # Another address is not held back by this one's failures.
    elsewhere = post_json(client, ACTIVATE, device.activation_body(code), REMOTE_ADDR="192.0.2.7")
    assert elsewhere.status_code == 200


def test_nineteen_failures_still_let_a_right_code_through(client: Client, code: str) -> None:
    device = SoftDevice()
    for _ in range(19):
        post_json(client, ACTIVATE, device.activation_body("000000000000"))
    assert post_json(client, ACTIVATE, device.activation_body(code)).status_code == 200


# --- Polling ----------------------------------------------------------------------------


def test_poll_lists_pending_notifications_without_the_number(
    client: Client, adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device)
    response = poll(client, device, clock)
    assert response.status_code == 200
    (challenge,) = response.json()["challenges"]
    assert challenge["id"] == sent.challenge_id
    assert "number" not in challenge
    assert not_cached(response)


def test_poll_with_nothing_pending_is_an_empty_list(
    client: Client, device: SoftDevice, clock: FrozenClock
) -> None:
    response = poll(client, device, clock)
    assert response.status_code == 200
    assert response.json() == {"challenges": []}


def test_poll_signed_by_another_key_is_refused(
    client: Client, device: SoftDevice, clock: FrozenClock
) -> None:
    impostor = SoftDevice()
    impostor.device_id = device.device_id
    response = poll(client, impostor, clock)
    assert response.status_code == 401
    assert error_of(response) == "bad_signature"
    assert not_cached(response)


def test_poll_with_a_stale_timestamp_is_refused(
    client: Client, device: SoftDevice, clock: FrozenClock
) -> None:
    response = client.get(POLL, device.poll_query(int(clock.now().timestamp()) - 121))
    assert response.status_code == 401
    assert error_of(response) == "bad_signature"


@pytest.mark.parametrize(
    "query",
    [{}, {"device": "never-activated", "ts": "1", "sig": "x"}, {"device": "d" * 65}],
    ids=["nothing", "unknown", "too-long"],
)
def test_poll_from_an_unknown_device_is_told_the_account_was_removed(
    client: Client, adele: User, clock: FrozenClock, query: dict[str, str]
) -> None:
    response = client.get(POLL, query)
    assert response.status_code == 410
    assert error_of(response) == "account_removed"


def test_bad_poll_signatures_count_towards_the_failure_limit(
    client: Client, device: SoftDevice, clock: FrozenClock
) -> None:
    impostor = SoftDevice()
    impostor.device_id = device.device_id
    for _ in range(20):
        assert poll(client, impostor, clock).status_code == 401
    blocked = poll(client, device, clock)
    assert blocked.status_code == 429
    assert error_of(blocked) == "rate_limited"
    assert blocked["Retry-After"] == "600"


# --- Answering --------------------------------------------------------------------------


def test_answer_approves_once(
    client: Client, adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device)
    body = device.answer_body(device.pending()[0], "approve", sent.number)
    response = post_json(client, RESPOND, body)
    assert response.status_code == 200
    assert response.json() == {"result": "approved"}
    assert not_cached(response)

    replay = post_json(client, RESPOND, body)
    assert replay.status_code == 409
    assert error_of(replay) == "challenge_closed"
    assert not_cached(replay)


def test_answer_needs_no_csrf_token(adele: User, device: SoftDevice, clock: FrozenClock) -> None:
    sent = send(adele, device)
    body = device.answer_body(device.pending()[0], "approve", sent.number)
    response = post_json(Client(enforce_csrf_checks=True), RESPOND, body)
    assert response.status_code == 200, response.content


@pytest.mark.parametrize(
    ("how", "result"),
    [("wrong_number", "wrong_number"), ("deny", "denied"), ("fraud", "fraud_reported")],
)
def test_answer_reports_its_result(
    client: Client, adele: User, device: SoftDevice, clock: FrozenClock, how: str, result: str
) -> None:
    sent = send(adele, device)
    challenge = device.pending()[0]
    if how == "wrong_number":
        body = device.answer_body(challenge, "approve", other_number(sent.number))
    else:
        body = device.answer_body(challenge, "deny", report_fraud=how == "fraud")
    response = post_json(client, RESPOND, body)
    assert response.status_code == 200
    assert response.json() == {"result": result}


def test_forged_answer_is_refused(
    client: Client, adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device)
    impostor = SoftDevice()
    impostor.device_id = device.device_id
    response = post_json(
        client, RESPOND, impostor.answer_body(device.pending()[0], "approve", sent.number)
    )
    assert response.status_code == 401
    assert error_of(response) == "bad_signature"
    assert PushChallenge.objects.get(pk=sent.challenge_id).status == "pending"


def test_answer_without_the_required_pin_is_refused(
    client: Client, adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device, require_pin=True)
    challenge = device.pending()[0]
    response = post_json(client, RESPOND, device.answer_body(challenge, "approve", sent.number))
    assert response.status_code == 403
    assert error_of(response) == "pin_required"
    verified = device.answer_body(challenge, "approve", sent.number, user_verified=True)
    assert post_json(client, RESPOND, verified).json() == {"result": "approved"}


def test_answer_from_a_removed_app_is_told_the_account_was_removed(
    client: Client, adele: User, registered: Any, clock: FrozenClock
) -> None:
    from twofold.methods.flows import delete_method

    device, method = registered
    sent = send(adele, device)
    body = device.answer_body(device.pending()[0], "approve", sent.number)
    delete_method(adele, method.pk)
    response = post_json(client, RESPOND, body)
    assert response.status_code == 410
    assert error_of(response) == "account_removed"
    assert poll(client, device, clock).status_code == 410


@pytest.mark.parametrize(
    "change",
    [
        {"decision": "maybe"},
        {"decision": None},
        {"number": 42},
        {"number": "12345"},
        {"report_fraud": "yes"},
        {"user_verified": 1},
        {"signature": None},
        {"challenge": "c" * 33},
        {"device": ""},
    ],
    ids=[
        "decision-word",
        "decision-missing",
        "number-int",
        "number-long",
        "fraud-string",
        "uv-int",
        "signature-missing",
        "challenge-long",
        "device-empty",
    ],
)
def test_malformed_answer_is_an_invalid_request(
    client: Client, adele: User, device: SoftDevice, clock: FrozenClock, change: dict[str, Any]
) -> None:
    sent = send(adele, device)
    body = {**device.answer_body(device.pending()[0], "approve", sent.number), **change}
    response = post_json(client, RESPOND, body)
    assert response.status_code == 400
    assert error_of(response) == "invalid_request"
    (field,) = change
    assert f"field {field} " in response.json()["message"], "the message names the field"
    assert PushChallenge.objects.get(pk=sent.challenge_id).status == "pending"


# --- The page's wait (answered at once here; the long poll is in test_longpoll) -----------


def test_wait_reports_pending_then_answered(
    client: Client, adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device)
    response = client.get(f"/push/wait/{sent.wait_token}")
    assert (response.status_code, response.json()) == (200, {"status": "pending"})
    assert not_cached(response)
    device.approve_latest(sent.number)
    response = client.get(f"/push/wait/{sent.wait_token}")
    assert (response.status_code, response.json()) == (200, {"status": "answered"})


def test_wait_reports_an_expired_notification(
    client: Client, adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device)
    clock.advance(120)
    assert client.get(f"/push/wait/{sent.wait_token}").json() == {"status": "expired"}


def test_wait_reports_the_activation(client: Client, adele: User, clock: FrozenClock) -> None:
    ticket = services.start_activation(adele, "JBSWY3DPEHPK3PXP")
    assert client.get(f"/push/wait/{ticket.wait_token}").json() == {"status": "pending"}
    SoftDevice().activate(ticket.code)
    assert client.get(f"/push/wait/{ticket.wait_token}").json() == {"status": "activated"}


def test_wait_on_an_unknown_token_looks_like_a_pending_one(
    client: Client, adele: User, clock: FrozenClock
) -> None:
    response = client.get("/push/wait/" + "ab" * 24)
    assert (response.status_code, response.json()) == (200, {"status": "pending"})

"""The rules of activation, polling and answering (twofold.push.services), without HTTP."""

from __future__ import annotations

import base64
import datetime as dt
from typing import Any

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.contrib.sessions.backends.signed_cookies import SessionStore
from django.core import mail
from django.test import RequestFactory
from django.utils import translation

from tests.conftest import FrozenClock
from tests.push.conftest import other_number, register_device, send
from tests.push.soft_device import SoftDevice, answer_with
from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.fraud.models import FraudAlert
from twofold.methods.flows import delete_method
from twofold.methods.models import RegisteredMethod
from twofold.methods.registry import get_method
from twofold.policy.models import MethodPolicy
from twofold.policy.services import forget_policy_snapshot
from twofold.push import services
from twofold.push.models import PushActivation, PushChallenge
from twofold.push.services import PushRefused

pytestmark = pytest.mark.django_db

Kind = AuditEvent.Kind
Status = PushChallenge.Status


def events(kind: AuditEvent.Kind, user: User) -> int:
    return AuditEvent.objects.filter(kind=kind, user=user).count()


def status_of(challenge_id: str) -> str:
    return PushChallenge.objects.get(pk=challenge_id).status


def refused(call: Any, *args: Any, **kwargs: Any) -> PushRefused:
    with pytest.raises(PushRefused) as caught:
        call(*args, **kwargs)
    return caught.value


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def der_public_key(private_key: Any) -> str:
    return b64u(
        private_key.public_key().public_bytes(
            serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
        )
    )


# --- Activation -------------------------------------------------------------------------


def test_activation_code_claims_one_device_once(adele: User, clock: FrozenClock) -> None:
    ticket = services.start_activation(adele, "JBSWY3DPEHPK3PXP")
    first = SoftDevice()
    activated = first.activate(ticket.code, "Adele's phone")
    assert activated.user == adele
    assert activated.totp_secret == "JBSWY3DPEHPK3PXP"
    activation = PushActivation.objects.get(pk=ticket.activation_id)
    assert activation.device_id == activated.device_id
    assert activation.public_key == first.public_key
    assert activation.key_type == "ed25519"
    assert activation.device_name == "Adele's phone"
    assert events(Kind.PUSH_DEVICE_ACTIVATED, adele) == 1

    second = SoftDevice()
    again = refused(second.activate, ticket.code)
    assert (again.status, again.error) == (400, "invalid_code")
    assert PushActivation.objects.get(pk=ticket.activation_id).public_key == first.public_key


def test_activation_code_works_until_just_before_it_expires(
    adele: User, clock: FrozenClock
) -> None:
    ticket = services.start_activation(adele, "JBSWY3DPEHPK3PXP")
    clock.advance(10 * 60 - 1)
    assert SoftDevice().activate(ticket.code).user == adele


def test_expired_activation_code_is_refused(adele: User, clock: FrozenClock) -> None:
    ticket = services.start_activation(adele, "JBSWY3DPEHPK3PXP")
    clock.advance(10 * 60)
    error = refused(SoftDevice().activate, ticket.code)
    assert (error.status, error.error) == (400, "invalid_code")
    assert PushActivation.objects.get(pk=ticket.activation_id).device_id == ""


def test_unknown_activation_code_is_refused(adele: User, clock: FrozenClock) -> None:
    services.start_activation(adele, "JBSWY3DPEHPK3PXP")
    error = refused(SoftDevice().activate, "000000000000")
    assert (error.status, error.error) == (400, "invalid_code")


@pytest.mark.parametrize(
    "typed",
    [
        lambda code: services.grouped_code(code),
        lambda code: "-".join(code[i : i + 4] for i in range(0, 12, 4)),
        lambda code: f"  {code[:6]} - {code[6:]}\t",
    ],
    ids=["spaces", "dashes", "mixed"],
)
def test_spaces_and_dashes_in_the_code_are_ignored(
    adele: User, clock: FrozenClock, typed: Any
) -> None:
    ticket = services.start_activation(adele, "JBSWY3DPEHPK3PXP")
    device = SoftDevice()
    # The proof signs the code itself (digits only), whatever the person typed.
    activated = services.activate_device(
        typed(ticket.code),
        device.public_key,
        "phone",
        device.sign("twofold-activate", ticket.code),
    )
    assert activated.user == adele


def test_proof_signed_for_another_code_is_refused(adele: User, clock: FrozenClock) -> None:
    ticket = services.start_activation(adele, "JBSWY3DPEHPK3PXP")
    other = services.start_activation(adele, "JBSWY3DPEHPK3PXP")
    device = SoftDevice()
    error = refused(
        services.activate_device,
        ticket.code,
        device.public_key,
        "phone",
        device.sign("twofold-activate", other.code),
    )
    assert (error.status, error.error) == (400, "invalid_request")
    assert not PushActivation.objects.exclude(device_id="").exists()


def test_proof_signed_by_another_key_is_refused(adele: User, clock: FrozenClock) -> None:
    ticket = services.start_activation(adele, "JBSWY3DPEHPK3PXP")
    device, impostor = SoftDevice(), SoftDevice()
    error = refused(
        services.activate_device,
        ticket.code,
        device.public_key,
        "phone",
        impostor.sign("twofold-activate", ticket.code),
    )
    assert (error.status, error.error) == (400, "invalid_request")
    # The code was not used up by the failed attempt.
    assert device.activate(ticket.code).user == adele


def test_p256_key_activates_polls_and_answers(adele: User, clock: FrozenClock) -> None:
    ticket = services.start_activation(adele, "JBSWY3DPEHPK3PXP")
    device = SoftDevice("p256")
    device.activate(ticket.code)
    assert PushActivation.objects.get(pk=ticket.activation_id).key_type == "p256"
    query = device.poll_query(int(clock.now().timestamp()))
    assert services.check_poll(query["device"], query["ts"], query["sig"], clock.now())
    sent = send(adele, device, "activation-test")
    assert device.approve_latest(sent.number) == "approved"


@pytest.mark.parametrize(
    "private_key",
    [
        pytest.param(lambda: rsa.generate_private_key(65537, 2048), id="rsa"),
        pytest.param(lambda: ec.generate_private_key(ec.SECP384R1()), id="p384"),
    ],
)
def test_keys_other_than_ed25519_and_p256_are_refused(
    adele: User, clock: FrozenClock, private_key: Any
) -> None:
    ticket = services.start_activation(adele, "JBSWY3DPEHPK3PXP")
    error = refused(
        services.activate_device, ticket.code, der_public_key(private_key()), "phone", "c2ln"
    )
    assert (error.status, error.error) == (400, "invalid_request")
    assert PushActivation.objects.get(pk=ticket.activation_id).device_id == ""


# --- Polling ----------------------------------------------------------------------------


def test_poll_signed_by_the_device_is_accepted(device: SoftDevice, clock: FrozenClock) -> None:
    query = device.poll_query(int(clock.now().timestamp()))
    known = services.check_poll(query["device"], query["ts"], query["sig"], clock.now())
    assert known.device_id == device.device_id


def test_poll_signed_by_another_key_is_refused(device: SoftDevice, clock: FrozenClock) -> None:
    impostor = SoftDevice()
    impostor.device_id = device.device_id
    query = impostor.poll_query(int(clock.now().timestamp()))
    error = refused(services.check_poll, query["device"], query["ts"], query["sig"], clock.now())
    assert (error.status, error.error) == (401, "bad_signature")


def test_poll_signature_for_another_timestamp_is_refused(
    device: SoftDevice, clock: FrozenClock
) -> None:
    now = int(clock.now().timestamp())
    query = device.poll_query(now)
    error = refused(services.check_poll, query["device"], str(now + 1), query["sig"], clock.now())
    assert error.error == "bad_signature"


@pytest.mark.parametrize("skew", [-121, 121, 3600])
def test_poll_with_a_stale_timestamp_is_refused(
    device: SoftDevice, clock: FrozenClock, skew: int
) -> None:
    query = device.poll_query(int(clock.now().timestamp()) + skew)
    error = refused(services.check_poll, query["device"], query["ts"], query["sig"], clock.now())
    assert (error.status, error.error) == (401, "bad_signature")


@pytest.mark.parametrize("skew", [-120, 120])
def test_poll_within_the_allowed_clock_skew_is_accepted(
    device: SoftDevice, clock: FrozenClock, skew: int
) -> None:
    query = device.poll_query(int(clock.now().timestamp()) + skew)
    assert services.check_poll(query["device"], query["ts"], query["sig"], clock.now())


def test_poll_from_an_unknown_device_is_told_the_account_was_removed(
    adele: User, clock: FrozenClock
) -> None:
    stranger = SoftDevice()
    stranger.device_id = "never-activated"
    query = stranger.poll_query(int(clock.now().timestamp()))
    error = refused(services.check_poll, query["device"], query["ts"], query["sig"], clock.now())
    assert (error.status, error.error) == (410, "account_removed")


def test_pending_lists_only_this_devices_open_notifications_without_the_number(
    adele: User, make_user: Any, device: SoftDevice, clock: FrozenClock
) -> None:
    alex = make_user("alex@contoso.example")
    alex_device, _ = register_device(alex)
    send(adele, device)  # left to expire
    clock.advance(121)
    denied = send(adele, device)
    device.answer(device.pending()[0], "deny")
    open_one = send(adele, device, app_name="Contoso portal", ip_address="203.0.113.5")
    send(alex, alex_device)

    listed = device.pending()
    assert [challenge["id"] for challenge in listed] == [open_one.challenge_id]
    (shown,) = listed
    assert set(shown) == {
        "id",
        "nonce",
        "purpose",
        "app",
        "ip",
        "location",
        "browser",
        "created",
        "expires",
        "require_pin",
    }
    assert open_one.number not in shown.values()
    assert shown["purpose"] == "sign-in"
    assert (shown["app"], shown["ip"], shown["location"]) == ("Contoso portal", "203.0.113.5", None)
    assert shown["expires"] == "2026-11-01T09:04:01Z"  # 120 s after it was sent
    assert status_of(denied.challenge_id) == Status.DENIED


def test_expired_notification_is_not_listed(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    send(adele, device)
    clock.advance(119)
    assert len(device.pending()) == 1
    clock.advance(1)
    assert device.pending() == []


# --- Answers ----------------------------------------------------------------------------


def test_right_number_approves(adele: User, device: SoftDevice, clock: FrozenClock) -> None:
    sent = send(adele, device)
    assert device.approve_latest(sent.number) == "approved"
    assert status_of(sent.challenge_id) == Status.APPROVED
    assert services.outcome(sent.challenge_id, adele, clock.now()) == "approved"
    assert events(Kind.PUSH_APPROVED, adele) == 2  # the test notification, then this one


def test_forged_answer_is_refused_and_the_notification_stays_open(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device)
    challenge = device.pending()[0]
    impostor = SoftDevice()
    impostor.device_id = device.device_id
    error = refused(impostor.answer, challenge, "approve", sent.number)
    assert (error.status, error.error) == (401, "bad_signature")
    assert status_of(sent.challenge_id) == Status.PENDING
    assert device.answer(challenge, "approve", sent.number) == "approved"


def test_forged_answer_is_audited(adele: User, device: SoftDevice, clock: FrozenClock) -> None:
    sent = send(adele, device)
    impostor = SoftDevice()
    impostor.device_id = device.device_id
    refused(impostor.answer, device.pending()[0], "approve", sent.number)
    assert events(Kind.PUSH_BAD_SIGNATURE, adele) == 1


def test_replayed_answer_is_refused(adele: User, device: SoftDevice, clock: FrozenClock) -> None:
    sent = send(adele, device)
    body = device.answer_body(device.pending()[0], "approve", sent.number)
    assert answer_with(body) == "approved"
    error = refused(answer_with, body)
    assert (error.status, error.error) == (409, "challenge_closed")
    assert status_of(sent.challenge_id) == Status.APPROVED


def test_answer_for_an_unknown_notification_is_refused(
    device: SoftDevice, clock: FrozenClock
) -> None:
    made_up = {"id": "no-such-notification", "nonce": "x"}
    error = refused(device.answer, made_up, "approve", "42")
    assert (error.status, error.error) == (409, "challenge_closed")


def test_another_devices_notification_cannot_be_answered(
    adele: User, make_user: Any, device: SoftDevice, clock: FrozenClock
) -> None:
    alex_device, _ = register_device(make_user("alex@contoso.example"))
    sent = send(adele, device)
    error = refused(alex_device.answer, device.pending()[0], "approve", sent.number)
    assert error.status == 409
    assert status_of(sent.challenge_id) == Status.PENDING


def test_wrong_number_ends_the_notification(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device)
    challenge = device.pending()[0]
    assert device.answer(challenge, "approve", other_number(sent.number)) == "wrong_number"
    assert status_of(sent.challenge_id) == Status.WRONG_NUMBER
    assert events(Kind.PUSH_WRONG_NUMBER, adele) == 1
    error = refused(device.answer, challenge, "approve", sent.number)
    assert (error.status, error.error) == (409, "challenge_closed")
    assert status_of(sent.challenge_id) == Status.WRONG_NUMBER
    assert not services.consume_approval(sent.challenge_id, adele, device.device_id)


def test_missing_number_counts_as_wrong(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device)
    assert device.answer(device.pending()[0], "approve", None) == "wrong_number"
    assert status_of(sent.challenge_id) == Status.WRONG_NUMBER


def test_expired_notification_cannot_be_answered(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device)
    challenge = device.pending()[0]
    clock.advance(120)
    error = refused(device.answer, challenge, "approve", sent.number)
    assert (error.status, error.error) == (409, "challenge_closed")
    assert services.outcome(sent.challenge_id, adele, clock.now()) == "expired"


def test_notification_can_be_answered_just_before_it_expires(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device)
    challenge = device.pending()[0]
    clock.advance(119)
    assert device.answer(challenge, "approve", sent.number) == "approved"


def test_signature_is_bound_to_the_decision(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    sent = send(adele, device)
    body = device.answer_body(device.pending()[0], "deny", sent.number)
    error = refused(answer_with, {**body, "decision": "approve"})
    assert (error.status, error.error) == (401, "bad_signature")
    assert status_of(sent.challenge_id) == Status.PENDING


@pytest.mark.parametrize(
    "change",
    [
        {"number": "__other__"},
        {"report_fraud": True},
        {"user_verified": True},
    ],
    ids=["number", "report_fraud", "user_verified"],
)
def test_signature_is_bound_to_every_field_of_the_answer(
    adele: User, device: SoftDevice, clock: FrozenClock, change: dict[str, Any]
) -> None:
    sent = send(adele, device)
    body = device.answer_body(device.pending()[0], "approve", sent.number)
    if change.get("number") == "__other__":
        change = {"number": other_number(sent.number)}
    error = refused(answer_with, {**body, **change})
    assert error.error == "bad_signature"
    assert status_of(sent.challenge_id) == Status.PENDING


def test_signature_for_one_notification_does_not_answer_the_next(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    first = send(adele, device)
    old_body = device.answer_body(device.pending()[0], "approve", first.number)
    second = send(adele, device)
    # The old signature, pointed at the new notification (same number by luck or not).
    error = refused(answer_with, {**old_body, "challenge": second.challenge_id})
    assert error.error == "bad_signature"
    assert status_of(second.challenge_id) == Status.PENDING


def _require_pin() -> None:
    MethodPolicy.objects.update_or_create(
        method_key=services.METHOD_KEY, defaults={"options": {"require_pin": True}}
    )
    forget_policy_snapshot()


def _begin_challenge(registered: RegisteredMethod) -> dict[str, Any]:
    request = RequestFactory().get("/signin/verify/")
    request.session = SessionStore()
    method = get_method(services.METHOD_KEY)
    assert method is not None
    return method.begin_challenge(registered, request)


def test_required_pin_refuses_an_answer_without_it_and_keeps_the_notification_open(
    adele: User, registered: tuple[SoftDevice, RegisteredMethod], clock: FrozenClock
) -> None:
    device, method = registered
    _require_pin()
    state = _begin_challenge(method)
    challenge = device.pending()[0]
    assert challenge["require_pin"] is True

    error = refused(device.answer, challenge, "approve", state["number"])
    assert (error.status, error.error) == (403, "pin_required")
    assert status_of(state["challenge_id"]) == Status.PENDING

    result = device.answer(challenge, "approve", state["number"], user_verified=True)
    assert result == "approved"
    assert services.consume_approval(state["challenge_id"], adele, device.device_id)


def test_without_the_pin_policy_an_unverified_approval_is_enough(
    adele: User, registered: tuple[SoftDevice, RegisteredMethod], clock: FrozenClock
) -> None:
    device, method = registered
    state = _begin_challenge(method)
    challenge = device.pending()[0]
    assert challenge["require_pin"] is False
    assert device.answer(challenge, "approve", state["number"]) == "approved"


def test_required_pin_does_not_stop_a_deny(
    adele: User, registered: tuple[SoftDevice, RegisteredMethod], clock: FrozenClock
) -> None:
    device, method = registered
    _require_pin()
    state = _begin_challenge(method)
    assert device.answer(device.pending()[0], "deny") == "denied"
    assert status_of(state["challenge_id"]) == Status.DENIED


def test_deny_denies(adele: User, device: SoftDevice, clock: FrozenClock) -> None:
    sent = send(adele, device)
    assert device.answer(device.pending()[0], "deny") == "denied"
    assert status_of(sent.challenge_id) == Status.DENIED
    assert events(Kind.PUSH_DENIED, adele) == 1
    assert not services.consume_approval(sent.challenge_id, adele, device.device_id)


def test_fraud_report_opens_an_alert_blocks_notifications_and_emails_admins(
    adele: User, make_user: Any, device: SoftDevice, clock: FrozenClock
) -> None:
    make_user("it-admin@contoso.example", display_name="IT", is_admin=True)
    mail.outbox.clear()
    sent = send(adele, device)
    assert device.answer(device.pending()[0], "deny", report_fraud=True) == "fraud_reported"

    assert status_of(sent.challenge_id) == Status.FRAUD_REPORTED
    alert = FraudAlert.objects.get(user=adele)
    assert alert.resolved_at is None
    assert events(Kind.FRAUD_REPORTED, adele) == 1
    (message,) = mail.outbox
    assert message.to == ["it-admin@contoso.example"]
    assert adele.username in message.subject

    error = refused(send, adele, device)
    assert (error.status, error.error) == (403, "blocked")
    assert device.pending() == []


def test_new_notification_replaces_the_pending_one(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    first = send(adele, device)
    old = device.pending()[0]
    clock.advance(5)
    second = send(adele, device)

    assert status_of(first.challenge_id) == Status.REPLACED
    assert services.outcome(first.challenge_id, adele, clock.now()) == "replaced"
    assert [c["id"] for c in device.pending()] == [second.challenge_id]
    error = refused(device.answer, old, "approve", first.number)
    assert (error.status, error.error) == (409, "challenge_closed")
    assert device.approve_latest(second.number) == "approved"


# --- MFA fatigue ------------------------------------------------------------------------


def _leave(how: str, device: SoftDevice, number: str, clock: FrozenClock) -> None:
    challenge = device.pending()[0]
    if how == "denied":
        assert device.answer(challenge, "deny") == "denied"
    elif how == "wrong_number":
        assert device.answer(challenge, "approve", other_number(number)) == "wrong_number"
    else:  # left to expire
        clock.advance(120)
    clock.advance(10)


@pytest.mark.parametrize(
    "streak",
    [
        ("denied", "denied", "denied"),
        ("expired", "expired", "expired"),
        ("denied", "wrong_number", "expired"),
    ],
    ids=["denied", "unanswered", "mixed"],
)
def test_fourth_notification_after_three_unanswered_is_paused_for_fifteen_minutes(
    adele: User, device: SoftDevice, clock: FrozenClock, streak: tuple[str, ...]
) -> None:
    for how in streak:
        _leave(how, device, send(adele, device).number, clock)
    before = PushChallenge.objects.count()

    error = refused(send, adele, device)
    assert (error.status, error.error) == (429, "rate_limited")
    assert "minutes" in error.message
    assert PushChallenge.objects.count() == before, "nothing is sent while paused"
    assert events(Kind.PUSH_THROTTLED, adele) == 1

    last_sent = PushChallenge.objects.filter(user=adele).order_by("-created_at").first()
    assert last_sent is not None
    clock.current = last_sent.created_at + dt.timedelta(minutes=15, seconds=-1)
    assert refused(send, adele, device).status == 429
    clock.advance(1)
    sent = send(adele, device)
    assert device.approve_latest(sent.number) == "approved"


def test_an_approval_breaks_the_streak(adele: User, device: SoftDevice, clock: FrozenClock) -> None:
    _leave("denied", device, send(adele, device).number, clock)
    _leave("denied", device, send(adele, device).number, clock)
    assert device.approve_latest(send(adele, device).number) == "approved"
    clock.advance(10)
    _leave("denied", device, send(adele, device).number, clock)
    _leave("denied", device, send(adele, device).number, clock)
    assert send(adele, device).challenge_id
    assert events(Kind.PUSH_THROTTLED, adele) == 0


def test_ten_approved_notifications_in_an_hour_never_pause_push(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    for _ in range(10):
        assert device.approve_latest(send(adele, device).number) == "approved"
        clock.advance(3 * 60)
    # With a denial or two among them too: only a run of unanswered or denied ones pauses.
    _leave("denied", device, send(adele, device).number, clock)
    _leave("expired", device, send(adele, device).number, clock)
    assert device.approve_latest(send(adele, device).number) == "approved"
    assert events(Kind.PUSH_THROTTLED, adele) == 0


def test_the_fatigue_pause_says_so_and_when_it_ends(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    for _ in range(3):
        _leave("denied", device, send(adele, device).number, clock)
    clock.advance(4 * 60)
    assert refused(send, adele, device).message == (
        "Several notifications in a row went unanswered or were denied, so none are sent "
        "for 11 minutes. Use another way to verify, or wait."
    )
    event = AuditEvent.objects.get(kind=Kind.PUSH_THROTTLED, user=adele)
    assert event.details["rule"] == "fatigue"


def test_the_hourly_cap_is_told_as_the_cap_with_when_the_next_can_be_sent(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    first_sent = clock.now()
    for _ in range(20):  # all approved: fatigue has nothing to do with it
        assert device.approve_latest(send(adele, device).number) == "approved"
        clock.advance(60)
    clock.advance(16 * 60)
    error = refused(send, adele, device)
    assert (error.status, error.error) == (429, "rate_limited")
    assert error.message == (
        "At most 20 notifications can be sent an hour, and they were. "
        "You can ask for the next one in 24 minutes."
    )
    assert "unanswered" not in error.message
    with translation.override("nl"):
        assert refused(send, adele, device).message == (
            "Er kunnen maximaal 20 meldingen per uur worden verstuurd, en die zijn verstuurd. "
            "U kunt over 24 minuten een nieuwe aanvragen."
        )
    throttled = AuditEvent.objects.filter(kind=Kind.PUSH_THROTTLED)
    assert {event.details["rule"] for event in throttled} == {"hourly cap"}
    # Refused requests don't count: the first one's hour ending frees a place.
    for _ in range(5):
        clock.advance(60)
        assert refused(send, adele, device).status == 429
    clock.current = first_sent + dt.timedelta(hours=1)
    assert device.approve_latest(send(adele, device).number) == "approved"


def test_activation_test_notifications_are_never_paused(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    for _ in range(3):
        _leave("denied", device, send(adele, device).number, clock)
    assert refused(send, adele, device).status == 429
    assert send(adele, device, "activation-test").challenge_id


def test_notifications_resent_before_an_answer_are_paused_too(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    for _ in range(3):
        send(adele, device)
        clock.advance(10)
    # Two replaced and one still unanswered: the fourth in a row is not sent.
    error = refused(send, adele, device)
    assert error.status == 429


# --- Using an approval, removing the app ------------------------------------------------


def test_approval_is_consumed_once(adele: User, device: SoftDevice, clock: FrozenClock) -> None:
    sent = send(adele, device)
    device.approve_latest(sent.number)
    assert services.consume_approval(sent.challenge_id, adele, device.device_id) is True
    assert services.consume_approval(sent.challenge_id, adele, device.device_id) is False
    assert status_of(sent.challenge_id) == Status.CONSUMED


def test_approval_is_only_consumed_for_its_user_and_device(
    adele: User, make_user: Any, device: SoftDevice, clock: FrozenClock
) -> None:
    alex = make_user("alex@contoso.example")
    sent = send(adele, device)
    device.approve_latest(sent.number)
    assert not services.consume_approval(sent.challenge_id, alex, device.device_id)
    assert not services.consume_approval(sent.challenge_id, adele, "another-device")
    assert services.consume_approval(sent.challenge_id, adele, device.device_id)


def test_removed_app_is_told_its_account_was_removed(
    adele: User, registered: tuple[SoftDevice, RegisteredMethod], clock: FrozenClock
) -> None:
    device, method = registered
    sent = send(adele, device)
    challenge = device.pending()[0]
    assert services.device_key(device.device_id, clock.now()) is not None

    assert delete_method(adele, method.pk)

    assert services.device_key(device.device_id, clock.now()) is None
    query = device.poll_query(int(clock.now().timestamp()))
    error = refused(services.check_poll, query["device"], query["ts"], query["sig"], clock.now())
    assert (error.status, error.error) == (410, "account_removed")
    error = refused(device.answer, challenge, "approve", sent.number)
    assert (error.status, error.error) == (410, "account_removed")
    assert status_of(sent.challenge_id) == Status.PENDING


def test_deactivated_users_app_is_told_its_account_was_removed(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    adele.is_active = False
    adele.save()
    assert services.device_key(device.device_id, clock.now()) is None


# --- Password reset decoys, clean-up ----------------------------------------------------


def test_decoy_looks_like_a_real_notification_and_expires_with_it(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    real = send(adele, device, "password-reset")
    decoy = services.send_decoy(b"nobody", services.NotificationDetails("password-reset"))

    assert len(decoy.wait_token) == len(real.wait_token)
    assert len(decoy.challenge_id) == len(real.challenge_id)
    assert decoy.expires == real.expires
    assert 10 <= int(decoy.number) <= 99
    digest = services.wait_digest
    assert services.wait_status(digest(decoy.wait_token), clock.now()) is None
    clock.advance(120)
    assert services.wait_status(digest(real.wait_token), clock.now()) == "expired"
    assert services.wait_status(digest(decoy.wait_token), clock.now()) == "expired"


def test_decoys_get_a_new_number_and_token_each_time(clock: FrozenClock) -> None:
    details = services.NotificationDetails("password-reset")
    decoys = []
    for _ in range(30):
        clock.advance(16 * 60)  # past the fatigue pause decoys get like real notifications
        decoys.append(services.send_decoy(b"nobody", details))
    assert len({decoy.wait_token for decoy in decoys}) == 30
    assert len({decoy.number for decoy in decoys}) > 1, "numbers are drawn, not derived"
    digest = services.wait_digest
    # Like a real one, each replaces the last for the same name, and only for that name.
    other = services.send_decoy(b"somebody", details)
    assert services.wait_status(digest(decoys[0].wait_token), clock.now()) == "answered"
    assert services.wait_status(digest(decoys[-1].wait_token), clock.now()) is None
    assert services.wait_status(digest(other.wait_token), clock.now()) is None


def test_decoy_cannot_be_answered_by_any_app(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    decoy = services.send_decoy(b"nobody", services.NotificationDetails("password-reset"))
    challenge = {"id": decoy.challenge_id, "nonce": "whatever"}
    error = refused(device.answer, challenge, "approve", decoy.number)
    assert (error.status, error.error) == (409, "challenge_closed")
    assert status_of(decoy.challenge_id) == Status.PENDING
    assert device.pending() == []


def test_decoys_do_not_count_towards_anyones_fatigue(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    for _ in range(3):
        services.send_decoy(b"nobody", services.NotificationDetails("password-reset"))
    assert send(adele, device).challenge_id


def test_unanswered_decoys_pause_like_a_real_account(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    """Enumeration: the fatigue pause must come after the same sends, app or no app."""
    details = services.NotificationDetails("password-reset")
    messages = []
    for sender in (
        lambda: send(adele, device, "password-reset"),
        lambda: services.send_decoy(b"nobody", details),
    ):
        outcomes = []
        for _ in range(4):
            try:
                sender()
                outcomes.append("sent")
            except services.PushRefused as refused:
                outcomes.append(refused.message)
        messages.append(outcomes)
    assert messages[0] == messages[1]
    assert messages[0][:3] == ["sent"] * 3 and "Several notifications" in messages[0][3]


def test_notifications_older_than_a_day_are_cleared_when_the_next_is_sent(
    adele: User, device: SoftDevice, clock: FrozenClock
) -> None:
    old = send(adele, device)
    clock.advance(24 * 3600 + 1)
    recent = send(adele, device)
    assert not PushChallenge.objects.filter(pk=old.challenge_id).exists()
    assert PushChallenge.objects.filter(pk=recent.challenge_id).exists()

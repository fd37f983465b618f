"""Activating the app and sending, answering and using notifications.

Pages and the device API call these; they hold the rules (single use, expiry, number matching,
fatigue throttling) and leave HTTP to the views.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import math
import re
import secrets
from dataclasses import dataclass
from typing import Any, NoReturn

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock
from twofold.core.waits import Unit, Wait
from twofold.fraud.services import blocked_message, has_open_fraud_alert, report_fraud
from twofold.methods import authenticator_app, encryption
from twofold.methods.models import RegisteredMethod
from twofold.push import signatures
from twofold.push.hub import get_hub
from twofold.push.models import PushActivation, PushChallenge

METHOD_KEY = authenticator_app.KEY
CODE_DIGITS = 12
# A poll's timestamp may be this far from the server's clock (replays are only good this long).
POLL_CLOCK_SKEW_SECONDS = 120
# Two rules, sized in settings.TWOFOLD_PUSH_LIMITS, each with its own message:
# - MFA fatigue: after fatigue_streak notifications in a row went unanswered or were denied,
#   none are sent for fatigue_pause_minutes, so an attacker with the password can't wear the
#   user down. An approval ends the run.
# - An hourly cap (per_hour), sized so that a day of approved sign-ins never meets it.

Status = PushChallenge.Status
Purpose = PushChallenge.Purpose

_ANSWERED = {Status.APPROVED, Status.CONSUMED}


class PushRefused(Exception):
    """Something the app or the page asked for can't be done; ``error`` is the protocol's word."""

    def __init__(self, status: int, error: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error = error
        self.message = message


def wait_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def device_channel(device_id: str) -> str:
    return f"device:{device_id}"


def wait_channel(digest: str) -> str:
    return f"wait:{digest}"


def _code_digest(code: str) -> str:
    key = hashlib.sha256(settings.SECRET_KEY.encode() + b"push-activation").digest()
    return hmac.new(key, code.encode(), "sha256").hexdigest()


def normalise_activation_code(raw: str) -> str:
    return re.sub(r"[\s-]", "", raw or "")


def grouped_code(code: str) -> str:
    return " ".join(code[i : i + 3] for i in range(0, len(code), 3))


# --- Activation -------------------------------------------------------------------------


@dataclass(frozen=True)
class ActivationTicket:
    activation_id: str
    code: str
    wait_token: str


def start_activation(user: User, totp_secret: str) -> ActivationTicket:
    now = clock.now()
    # Old activations are only clutter; each page starts its own.
    PushActivation.objects.filter(expires_at__lt=now - dt.timedelta(days=1)).delete()
    code = f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"
    wait_token = secrets.token_urlsafe(24)
    activation = PushActivation.objects.create(
        id=secrets.token_urlsafe(16),
        user=user,
        code_digest=_code_digest(code),
        wait_digest=wait_digest(wait_token),
        encrypted_totp_secret=encryption.encrypt_json({"secret": totp_secret}),
        expires_at=now + dt.timedelta(minutes=settings.TWOFOLD_PUSH_ACTIVATION_MINUTES),
    )
    return ActivationTicket(activation.id, code, wait_token)


def activation_of(activation_id: str, user: User) -> PushActivation | None:
    return PushActivation.objects.filter(pk=activation_id, user=user).first()


def activation_expired(activation: PushActivation, now: dt.datetime) -> bool:
    return now >= activation.expires_at


@dataclass(frozen=True)
class ActivatedDevice:
    device_id: str
    user: User
    totp_secret: str


def activate_device(code: str, public_key: str, device_name: str, proof: str) -> ActivatedDevice:
    """Bind the device's key to the activation the code belongs to (once)."""
    code = normalise_activation_code(code)
    invalid = PushRefused(
        400,
        "invalid_code",
        _(
            "That activation code isn't valid or has expired. Start again on the page that "
            "showed the QR code."
        ),
    )
    if not re.fullmatch(rf"\d{{{CODE_DIGITS}}}", code):
        raise invalid
    try:
        signatures.load_public_key(public_key)
    except signatures.BadKey:
        raise PushRefused(
            400, "invalid_request", _("The app sent a key Twofold can't use.")
        ) from None
    if not signatures.verify(public_key, signatures.activation_message(code), proof):
        raise PushRefused(400, "invalid_request", _("The app's proof of its key didn't check out."))
    now = clock.now()
    with transaction.atomic():
        activation = (
            PushActivation.objects.select_for_update()
            .select_related("user")
            .filter(code_digest=_code_digest(code))
            .first()
        )
        # A code claims one device, once, while it lives.
        if activation is None or activation.device_id or activation_expired(activation, now):
            raise invalid
        activation.device_id = secrets.token_urlsafe(16)
        activation.public_key = public_key
        activation.key_type = signatures.load_public_key(public_key)[1]
        activation.device_name = (device_name or "").strip()[:100]
        activation.activated_at = now
        # Leave time for the test notification after a late scan.
        activation.expires_at = max(
            activation.expires_at,
            now + dt.timedelta(seconds=2 * settings.TWOFOLD_PUSH_CHALLENGE_SECONDS),
        )
        activation.save()
        record_event(
            AuditEvent.Kind.PUSH_DEVICE_ACTIVATED,
            user=activation.user,
            device=activation.device_name,
            key_type=activation.key_type,
        )
        digest = activation.wait_digest
        transaction.on_commit(lambda: get_hub().publish(wait_channel(digest)))
    secret = encryption.decrypt_json(activation.encrypted_totp_secret)["secret"]
    return ActivatedDevice(activation.device_id, activation.user, secret)


def finish_activation(activation: PushActivation) -> None:
    activation.finished_at = clock.now()
    activation.save(update_fields=["finished_at"])


# --- Devices ----------------------------------------------------------------------------


@dataclass(frozen=True)
class DeviceKey:
    device_id: str
    user_id: int
    public_key: str


def device_key(device_id: str, now: dt.datetime) -> DeviceKey | None:
    """The key of a device Twofold knows: a registered app, or one in its test notification.

    None means the organisation removed the app from the account (or never had it).
    """
    if not device_id or len(device_id) > 64:
        return None
    registered = (
        RegisteredMethod.objects.filter(kind=METHOD_KEY, lookup_key=device_id, user__is_active=True)
        .only("user_id", "encrypted_data")
        .first()
    )
    if registered is not None:
        return DeviceKey(device_id, registered.user_id, registered.data["public_key"])
    activation = (
        PushActivation.objects.filter(
            device_id=device_id,
            finished_at__isnull=True,
            expires_at__gt=now,
            user__is_active=True,
        )
        .only("user_id", "public_key")
        .first()
    )
    if activation is not None:
        return DeviceKey(device_id, activation.user_id, activation.public_key)
    return None


def check_poll(device_id: str, timestamp: str, signature: str, now: dt.datetime) -> DeviceKey:
    device = device_key(device_id, now)
    if device is None:
        raise _account_removed()
    try:
        skew = abs(now.timestamp() - int(timestamp))
    except (TypeError, ValueError):
        skew = POLL_CLOCK_SKEW_SECONDS + 1
    # A recorded poll can't be replayed later; the window allows for phones' clock drift.
    if skew > POLL_CLOCK_SKEW_SECONDS or not signatures.verify(
        device.public_key, signatures.poll_message(device_id, str(timestamp)), signature
    ):
        raise PushRefused(
            401,
            "bad_signature",
            _("The request wasn't signed by this app, or the device's clock is wrong."),
        )
    return device


def pending_for_device(device_id: str, now: dt.datetime) -> list[dict[str, Any]]:
    challenges = PushChallenge.objects.filter(
        device_id=device_id, status=Status.PENDING, expires_at__gt=now
    ).order_by("created_at")
    return [_describe_for_device(challenge) for challenge in challenges]


def _describe_for_device(challenge: PushChallenge) -> dict[str, Any]:
    return {
        "id": challenge.id,
        "nonce": challenge.nonce,
        "purpose": challenge.purpose,
        "app": challenge.app_name or None,
        "ip": challenge.ip_address or None,
        "location": challenge.location or None,
        "browser": challenge.browser or None,
        "created": _iso(challenge.created_at),
        "expires": _iso(challenge.expires_at),
        "require_pin": challenge.require_pin,
    }


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _account_removed() -> PushRefused:
    return PushRefused(
        410,
        "account_removed",
        _(
            "This app is no longer in the account's security info, so it gets no more "
            "notifications. Remove the account from the app."
        ),
    )


# --- Notifications ----------------------------------------------------------------------


@dataclass(frozen=True)
class NotificationDetails:
    """What the app shows about where a notification comes from."""

    purpose: str
    app_name: str = ""
    ip_address: str | None = None
    location: str = ""
    browser: str = ""
    require_pin: bool = False


@dataclass(frozen=True)
class NotificationTicket:
    challenge_id: str
    number: str
    wait_token: str
    expires: float


def send_notification(
    user: User, device_id: str, details: NotificationDetails
) -> NotificationTicket:
    """Create a notification for the app (replacing an unanswered one); raises PushRefused."""
    now = clock.now()
    if has_open_fraud_alert(user):
        raise PushRefused(403, "blocked", blocked_message())
    if details.purpose != Purpose.ACTIVATION_TEST:
        _refuse_when_fatigued(PushChallenge.objects.filter(user=user), user, now)
    with transaction.atomic():
        # One notification at a time: a new one replaces the last, so an old prompt left on
        # the phone can't be approved later for a sign-in the user no longer looks at.
        PushChallenge.objects.filter(user=user, status=Status.PENDING).update(
            status=Status.REPLACED, answered_at=now
        )
        ticket = _create_challenge(user, device_id, details, now)
        record_event(
            AuditEvent.Kind.PUSH_SENT,
            user=user,
            purpose=details.purpose,
            ip=details.ip_address or "",
        )
        transaction.on_commit(lambda: get_hub().publish(device_channel(device_id)))
    return ticket


def send_decoy(seed: bytes, details: NotificationDetails) -> NotificationTicket:
    """A notification no app will ever see, for a password reset of a name without the app.

    Its number, wait token and expiry are made, stored and replaced like a real one's (the
    ``seed`` stands for the name), so the page and its long poll can't tell which accounts exist.
    """
    now = clock.now()
    decoy_device = _decoy_device(seed)
    # Paused like a real account's after unanswered ones: the pause must not tell them apart.
    _refuse_when_fatigued(
        PushChallenge.objects.filter(user=None, device_id=decoy_device), None, now
    )
    with transaction.atomic():
        PushChallenge.objects.filter(
            user=None, device_id=decoy_device, status=Status.PENDING
        ).update(status=Status.REPLACED, answered_at=now)
        return _create_challenge(None, decoy_device, details, now)


def _decoy_device(seed: bytes) -> str:
    # Not a device id any app can have (those never hold a colon).
    return "decoy:" + hmac.new(seed, b"push-decoy", "sha256").hexdigest()[:32]


def refuse_when_paused(user: User | None, seed: bytes = b"") -> None:
    """The fatigue pause and hourly cap alone (for ``user``, or the decoys of ``seed``).

    For a caller that counts a limit of its own before sending: checked first, a paused
    request is refused before it counts anywhere.
    """
    history = (
        PushChallenge.objects.filter(user=user)
        if user is not None
        else PushChallenge.objects.filter(user=None, device_id=_decoy_device(seed))
    )
    _refuse_when_fatigued(history, user, clock.now())


def _create_challenge(
    user: User | None, device_id: str, details: NotificationDetails, now: dt.datetime
) -> NotificationTicket:
    # Answered ones are only history after a day (the fatigue check looks back an hour).
    PushChallenge.objects.filter(created_at__lt=now - dt.timedelta(days=1)).delete()
    wait_token = secrets.token_urlsafe(24)
    challenge = PushChallenge.objects.create(
        id=secrets.token_urlsafe(16),
        user=user,
        device_id=device_id,
        purpose=details.purpose,
        nonce=secrets.token_urlsafe(24),
        number=f"{10 + secrets.randbelow(90)}",
        wait_digest=wait_digest(wait_token),
        app_name=details.app_name[:200],
        ip_address=details.ip_address,
        location=details.location[:200],
        browser=details.browser[:100],
        require_pin=details.require_pin,
        created_at=now,
        expires_at=now + dt.timedelta(seconds=settings.TWOFOLD_PUSH_CHALLENGE_SECONDS),
    )
    return NotificationTicket(
        challenge.id, challenge.number, wait_token, challenge.expires_at.timestamp()
    )


def _refuse_when_fatigued(
    history: QuerySet[PushChallenge], user: User | None, now: dt.datetime
) -> None:
    limits = settings.TWOFOLD_PUSH_LIMITS
    per_hour, streak_needed = limits["per_hour"], limits["fatigue_streak"]
    hour = dt.timedelta(hours=1)
    recent = list(
        history.filter(created_at__gt=now - hour)
        .exclude(purpose=Purpose.ACTIVATION_TEST)
        .order_by("-created_at")
        .only("status", "expires_at", "created_at")[: max(per_hour, streak_needed)]
    )
    # Counted back to the last approval. A pending one counts too: sending this one replaces
    # it unanswered, so re-sending before the last expires can't dodge the pause.
    streak = 0
    for challenge in recent:
        if challenge.status in _ANSWERED:
            break
        streak += 1
    paused_until = (
        recent[0].created_at + dt.timedelta(minutes=limits["fatigue_pause_minutes"])
        if streak >= streak_needed
        else now
    )
    # The oldest of the last per_hour leaves the hour then, and one more may be sent.
    capped_until = recent[per_hour - 1].created_at + hour if len(recent) >= per_hour else now
    # Both may hold: the message is the one that lasts longer, so its wait is the truth.
    if capped_until > now and capped_until >= paused_until:
        _refuse(user, capped_until, now, "hourly cap", _capped_message(per_hour, capped_until))
    if paused_until > now:
        minutes = _minutes(paused_until - now)
        _refuse(user, paused_until, now, "fatigue", _fatigue_message(minutes))


def _minutes(wait: dt.timedelta) -> int:
    return max(1, math.ceil(wait.total_seconds() / 60))


def _refuse(
    user: User | None, until: dt.datetime, now: dt.datetime, rule: str, message: str
) -> NoReturn:
    record_event(
        AuditEvent.Kind.PUSH_THROTTLED, user=user, minutes=_minutes(until - now), rule=rule
    )
    raise PushRefused(429, "rate_limited", message)


def _fatigue_message(minutes: int) -> str:
    return ngettext(
        "Several notifications in a row went unanswered or were denied, so none are sent "
        "for %(minutes)d minute. Use another way to verify, or wait.",
        "Several notifications in a row went unanswered or were denied, so none are sent "
        "for %(minutes)d minutes. Use another way to verify, or wait.",
        minutes,
    ) % {"minutes": minutes}


def _capped_message(per_hour: int, until: dt.datetime) -> str:
    cap = ngettext(
        "At most %(count)d notification can be sent an hour, and it was.",
        "At most %(count)d notifications can be sent an hour, and they were.",
        per_hour,
    ) % {"count": per_hour}
    return cap + " " + next_notification_message(until)


def next_notification_message(at: dt.datetime) -> str:
    """When the next notification can be asked for, as a sentence in the person's language."""
    wait = Wait.until(at)
    if wait.unit is Unit.SECONDS:
        return ngettext(
            "You can ask for the next one in %(count)d second.",
            "You can ask for the next one in %(count)d seconds.",
            wait.count,
        ) % {"count": wait.count}
    if wait.unit is Unit.MINUTES:
        return ngettext(
            "You can ask for the next one in %(count)d minute.",
            "You can ask for the next one in %(count)d minutes.",
            wait.count,
        ) % {"count": wait.count}
    return _("You can ask for the next one after %(time)s.") % {"time": wait.moment}


@dataclass(frozen=True)
class Answer:
    device_id: str
    challenge_id: str
    decision: str
    number: str
    report_fraud: bool
    user_verified: bool
    signature: str


def answer_notification(answer: Answer) -> str:
    """Record the app's signed answer once; returns the protocol's result word."""
    now = clock.now()
    device = device_key(answer.device_id, now)
    if device is None:
        raise _account_removed()
    with transaction.atomic():
        challenge = (
            PushChallenge.objects.select_for_update(of=("self",))
            .select_related("user")
            .filter(pk=answer.challenge_id, device_id=answer.device_id)
            .first()
        )
        closed = PushRefused(
            409, "challenge_closed", _("This notification was already answered or has expired.")
        )
        # Decoys have no user, and no device could answer them anyway.
        if challenge is None or challenge.user is None:
            raise closed
        user = challenge.user
        message = signatures.response_message(
            challenge.id,
            challenge.nonce,
            answer.decision,
            answer.number,
            answer.report_fraud,
            answer.user_verified,
        )
        forged = not signatures.verify(device.public_key, message, answer.signature)
        if not forged:
            # Checked under the row lock: a replayed answer finds the notification closed.
            if challenge.status != Status.PENDING or now >= challenge.expires_at:
                raise closed
            result = _apply_answer(challenge, user, answer)
            challenge.answered_at = now
            challenge.save(update_fields=["status", "answered_at"])
            digest = challenge.wait_digest
            transaction.on_commit(lambda: get_hub().publish(wait_channel(digest)))
    if forged:
        # Recorded after the transaction: inside it, the refusal would roll the record back.
        record_event(AuditEvent.Kind.PUSH_BAD_SIGNATURE, user=user)
        raise PushRefused(401, "bad_signature", _("The answer wasn't signed by the app's key."))
    return result


def _apply_answer(challenge: PushChallenge, user: User, answer: Answer) -> str:
    if answer.decision == "deny":
        if answer.report_fraud:
            challenge.status = Status.FRAUD_REPORTED
            report_fraud(user, source="authenticator app")
            return "fraud_reported"
        challenge.status = Status.DENIED
        record_event(AuditEvent.Kind.PUSH_DENIED, user=user, purpose=challenge.purpose)
        return "denied"
    if challenge.require_pin and not answer.user_verified:
        raise PushRefused(
            403, "pin_required", _("Your organisation requires the app's PIN to approve.")
        )
    # Number matching: the user must have seen the sign-in screen, so a prompt approved by
    # reflex (or under MFA fatigue) fails. A wrong number ends the notification: no retries.
    if not hmac.compare_digest(answer.number.encode(), challenge.number.encode()):
        challenge.status = Status.WRONG_NUMBER
        record_event(AuditEvent.Kind.PUSH_WRONG_NUMBER, user=user, purpose=challenge.purpose)
        return "wrong_number"
    challenge.status = Status.APPROVED
    record_event(AuditEvent.Kind.PUSH_APPROVED, user=user, purpose=challenge.purpose)
    return "approved"


def outcome(challenge_id: str, user: User, now: dt.datetime) -> str:
    """The notification's state as the page sees it: pending, expired or an answer."""
    challenge = (
        PushChallenge.objects.filter(pk=challenge_id, user=user)
        .only("status", "expires_at")
        .first()
    )
    if challenge is None:
        return "missing"
    if challenge.status == Status.PENDING and now >= challenge.expires_at:
        return "expired"
    return challenge.status


def consume_approval(challenge_id: str, user: User, device_id: str) -> bool:
    """Use an approval for the browser that asked for it, once."""
    used = PushChallenge.objects.filter(
        pk=challenge_id, user=user, device_id=device_id, status=Status.APPROVED
    ).update(status=Status.CONSUMED)
    return used == 1


def wait_status(digest: str, now: dt.datetime) -> str | None:
    """For the page's long poll: None while nothing happened yet (or never will), else what did."""
    return wait_state(digest, now)[0]


WaitState = tuple[str | None, dt.datetime | None]


def wait_state(digest: str, now: dt.datetime) -> WaitState:
    """``wait_status``, and while nothing happened yet, when the wait's subject expires."""
    return wait_states([digest], now)[digest]


def wait_states(digests: list[str], now: dt.datetime) -> dict[str, WaitState]:
    """``wait_state`` of many waits in two queries (thousands of browsers renew at once)."""
    states: dict[str, WaitState] = {}
    challenges = PushChallenge.objects.filter(wait_digest__in=digests).values_list(
        "wait_digest", "status", "expires_at"
    )
    for digest, status, expires_at in challenges:
        states[digest] = (
            ("answered", None) if status != Status.PENDING else _expired_or_pending(expires_at, now)
        )
    rest = [digest for digest in digests if digest not in states]
    activations = (
        PushActivation.objects.filter(wait_digest__in=rest).values_list(
            "wait_digest", "activated_at", "expires_at"
        )
        if rest
        else []
    )
    for digest, activated_at, expires_at in activations:
        states[digest] = (
            ("activated", None)
            if activated_at is not None
            else _expired_or_pending(expires_at, now)
        )
    # A token that matches nothing waits like a pending one: no answer tells tokens apart.
    return {digest: states.get(digest, (None, None)) for digest in digests}


def _expired_or_pending(expires_at: dt.datetime, now: dt.datetime) -> WaitState:
    return ("expired", None) if now >= expires_at else (None, expires_at)

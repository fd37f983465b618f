"""Sending texts and placing calls: limits against SMS pumping, gateway failures, results."""

from __future__ import annotations

import datetime as dt
import logging
from dataclasses import dataclass
from typing import Any

import phonenumbers
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from twofold.accounts.models import User
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock, ratelimit
from twofold.core.ratelimit import Limit, LimitReached
from twofold.core.waits import Unit, Wait
from twofold.messaging.gateways import get_gateway
from twofold.messaging.gateways.base import CallScript, Gateway, GatewayError
from twofold.messaging.gateways.decoy import DecoyGateway
from twofold.messaging.models import Outbound

logger = logging.getLogger(__name__)

HOUR = 3600
DAY = 24 * HOUR


class SendRefused(Exception):
    """Nothing was sent; ``message`` tells the person why and what to do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Sender:
    """Whom a send counts against.

    ``key`` names the per-user limits: the user's id, or at the password reset portal a key
    of the typed name (``for_name``), so real and made-up accounts there count alike.
    A decoy (``user`` None) is written like a send and never sent (see send_decoy_text).
    """

    user: User | None
    key: str

    @classmethod
    def for_user(cls, user: User) -> Sender:
        return cls(user, str(user.pk))

    @classmethod
    def for_name(cls, user: User | None, name_key: str) -> Sender:
        # Never a user's id (digits only): a decoy can't count on a real user's limits.
        return cls(user, f"name:{name_key}")

    @property
    def decoy(self) -> bool:
        return self.user is None


def _country(to_number: str) -> str:
    try:
        return str(phonenumbers.parse(to_number).country_code)
    except phonenumbers.NumberParseException:
        return "unknown"  # only a decoy's typed number can fail to parse


# Each journey's texts and calls count against its budget (settings' "budgets", named for
# the purpose: registration, sign-in, step-up, password-reset); any other as a sign-in.
SIGN_IN = "sign-in"


def budget_of(purpose: str) -> str:
    """The budget a send for ``purpose`` counts against: registration, sign-in, step-up
    and password reset each have their own, so setting up methods can't use up signing in."""
    budgets = settings.TWOFOLD_MESSAGE_LIMITS["budgets"]
    return purpose if purpose in budgets else SIGN_IN


def _limits(sender: Sender, to_number: str, budget: str) -> list[Limit]:
    # SMS pumping / toll fraud: an attacker makes the service send many paid texts or
    # calls to premium numbers. Limits per user and journey, per user, per destination
    # (in the journey and in all) and per country bound it.
    # They are counted in the database, so a cache outage can't lift them.
    limits = settings.TWOFOLD_MESSAGE_LIMITS
    journey = limits["budgets"][budget]
    number, country = to_number, _country(to_number)
    if sender.decoy:
        # Decoys count per name and typed number, and on a country counter of their own: the
        # same statements and refusals, but someone's real number typed on made-up names
        # can't use up that person's texts, nor made-up names a country's.
        number, country = f"decoy:{sender.key}:{number}", f"decoy:{country}"
    # Always in this order (see ratelimit.take): journeys first, then the shared ones.
    return [
        Limit(f"msg-{budget}-15m", sender.key, 15 * 60, journey["per_15_minutes"]),
        Limit(f"msg-{budget}-day", sender.key, DAY, journey["per_day"]),
        Limit(f"msg-{budget}-number-hour", number, HOUR, journey["per_number_hour"]),
        Limit("msg-user-day", sender.key, DAY, limits["per_user_day"]),
        Limit("msg-number-hour", number, HOUR, limits["per_number_hour"]),
        Limit("msg-country-hour", country, HOUR, limits["per_country_hour"]),
    ]


def next_send_message(at: dt.datetime | None) -> str:
    """When the next code or call can be asked for, as a sentence in the person's language."""
    if at is None:
        return _("No more texts or calls can be sent. Choose another way to verify.")
    wait = Wait.until(at)
    if wait.unit is Unit.SECONDS:
        return ngettext(
            "You can ask for another code or call in %(count)d second.",
            "You can ask for another code or call in %(count)d seconds.",
            wait.count,
        ) % {"count": wait.count}
    if wait.unit is Unit.MINUTES:
        return ngettext(
            "You can ask for another code or call in %(count)d minute.",
            "You can ask for another code or call in %(count)d minutes.",
            wait.count,
        ) % {"count": wait.count}
    return _("You can ask for another code or call after %(time)s.") % {"time": wait.moment}


def _check_limits(sender: Sender, to_number: str, budget: str) -> None:
    try:
        ratelimit.take(*_limits(sender, to_number, budget))
    except LimitReached as reached:
        logger.warning("message limit %s reached", reached.limit.scope)
        # The later of the two: asking again then passes both the limits and the backoff.
        backoff_free = _backoff_free_at(sender, to_number, budget)
        at = None if reached.retry_at is None else max(reached.retry_at, backoff_free)
        raise SendRefused(
            _("Too many texts or calls were sent.") + " " + next_send_message(at)
        ) from None


BACKOFF_WINDOW_SECONDS = 15 * 60
BACKOFF_FIRST_WAIT_SECONDS = 30
FREE_SENDS = 3
# Decoys are kept as long as the longest limit window reads them, then deleted.
DECOY_DAYS = 1


def _backoff_free_at(sender: Sender, to_number: str, budget: str) -> dt.datetime:
    """When the backoff lets the next send to this number, in this journey, through.

    Three sends in a row are free (a code, a resend, one more); then each wait doubles.
    Someone hammering "Send a new code" gets a clear wait instead of a stream of texts.
    The texts and calls already sent are the history, so this holds without the cache, and
    a refused request, never written, can't make the wait longer.
    """
    now = clock.now()
    window = dt.timedelta(seconds=BACKOFF_WINDOW_SECONDS)
    # A decoy's history is its name's decoys, as a real user's is theirs.
    mine = (
        Outbound.objects.filter(user=None, decoy_key=sender.key)
        if sender.decoy
        else Outbound.objects.filter(user=sender.user)
    )
    history = list(
        mine.filter(to_number=to_number, budget=budget, created_at__gt=now - window)
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:32]
    )
    moment = now
    while True:
        # The sends still in the window at ``moment``, newest first.
        recent = [sent for sent in history if sent > moment - window]
        if len(recent) < FREE_SENDS:
            return moment
        wait = dt.timedelta(seconds=BACKOFF_FIRST_WAIT_SECONDS * 2 ** (len(recent) - FREE_SENDS))
        if moment >= recent[0] + wait:
            return moment
        # Free when this wait is over, or sooner if the oldest send leaves the window first.
        moment = min(recent[0] + wait, recent[-1] + window)


def _check_backoff(sender: Sender, to_number: str, budget: str) -> None:
    free = _backoff_free_at(sender, to_number, budget)
    if free > clock.now():
        raise SendRefused(next_send_message(free))


def _reserve(sender: Sender, to_number: str, budget: str, **fields: Any) -> Outbound:
    """Check every limit and write the text's or call's row, in one transaction.

    The limit counters stay locked until the row is written, so two sends racing at the
    last free one can't both pass, and the next send sees this one in its backoff history.
    Nothing goes to the gateway until this has committed. A refusal rolls every count back.
    """
    with transaction.atomic():
        _check_limits(sender, to_number, budget)
        # After the counters are locked: a send racing this one is in the history by now.
        _check_backoff(sender, to_number, budget)
        # Run for real sends too, so a decoy's statements are a real send's. Every decoy has
        # a decoy_key: filtering on it lets the index find the few decoys, where status and
        # created_at alone scan every text ever sent, on every send.
        Outbound.objects.filter(
            decoy_key__gt="",
            status=Outbound.Status.DECOY,
            created_at__lt=clock.now() - dt.timedelta(days=DECOY_DAYS),
        ).delete()
        return Outbound.objects.create(
            to_number=to_number,
            user=sender.user,
            decoy_key=sender.key if sender.decoy else "",
            budget=budget,
            language=translation.get_language() or "en",
            **fields,
        )


def _as_sender(user: User | Sender) -> Sender:
    return user if isinstance(user, Sender) else Sender.for_user(user)


def _gateway_for(sender: Sender) -> Gateway:
    return DecoyGateway(get_gateway()) if sender.decoy else get_gateway()


def send_text(user: User | Sender, to_number: str, body: str, *, purpose: str) -> Outbound:
    sender = _as_sender(user)
    gateway = _gateway_for(sender)
    outbound = _reserve(
        sender,
        to_number,
        budget_of(purpose),
        channel=Outbound.Channel.TEXT,
        gateway=gateway.name,
    )
    try:
        outbound.provider_id = gateway.send_text(outbound, body)
    except GatewayError as error:
        _record_failure(outbound, sender.user, purpose, error)
        raise SendRefused(
            _("We couldn't send a text right now. Try again in a few minutes or use another way.")
        ) from error
    if outbound.status == Outbound.Status.QUEUED:
        outbound.status = Outbound.Status.SENT
    outbound.save(update_fields=["provider_id", "status", "updated_at"])
    return outbound


def place_call(
    user: User | Sender, to_number: str, extension: str, *, purpose: str, script: CallScript
) -> Outbound:
    """Call the number; ``script`` (from the method placing it) says what the call asks for."""
    sender = _as_sender(user)
    gateway = _gateway_for(sender)
    if not gateway.supports_calls:
        raise SendRefused(_("Phone calls aren't available. Use another way to verify."))
    outbound = _reserve(
        sender,
        to_number,
        budget_of(purpose),
        channel=Outbound.Channel.CALL,
        extension=extension,
        gateway=gateway.name,
    )
    try:
        outbound.provider_id = gateway.place_call(outbound, script)
    except GatewayError as error:
        _record_failure(outbound, sender.user, purpose, error)
        raise SendRefused(
            _("We couldn't call you right now. Try again in a few minutes or use another way.")
        ) from error
    if outbound.status == Outbound.Status.QUEUED:
        outbound.status = Outbound.Status.RINGING
    outbound.save(update_fields=["provider_id", "status", "updated_at"])
    return outbound


def send_decoy_text(name_key: str, to_number: str, body: str, *, purpose: str) -> Outbound:
    """A text for a made-up account: every limit, check and row of send_text, sent to nobody."""
    return send_text(Sender.for_name(None, name_key), to_number, body, purpose=purpose)


def place_decoy_call(
    name_key: str, to_number: str, extension: str, *, purpose: str, script: CallScript
) -> Outbound:
    """A call for a made-up account: as place_call, and no phone rings."""
    return place_call(
        Sender.for_name(None, name_key), to_number, extension, purpose=purpose, script=script
    )


def _record_failure(outbound: Outbound, user: User | None, purpose: str, error: Exception) -> None:
    outbound.status = Outbound.Status.FAILED
    outbound.save(update_fields=["status", "updated_at"])
    logger.warning("gateway %s failed: %s", outbound.gateway, error)
    record_event(
        AuditEvent.Kind.GATEWAY_FAILED,
        user=user,
        channel=outbound.channel,
        gateway=outbound.gateway,
        purpose=purpose,
        reason=str(error)[:200],
    )


CALL_ANSWERS = (Outbound.Status.CONFIRMED, Outbound.Status.FRAUD_REPORTED)


def record_call_keys(outbound: Outbound, pressed: str, answer: str | None) -> tuple[str, bool]:
    """Record the keys pressed on a ringing call and the outcome they mean (``answer``, one
    of CALL_ANSWERS; None for keys that mean nothing, a wrong key).

    The method that placed the call says what keys mean. Returns the call's status and
    whether this press answered the call.
    """
    if answer is not None and answer not in CALL_ANSWERS:
        raise ValueError(f"not a call answer: {answer}")
    with transaction.atomic():
        call = Outbound.objects.select_for_update().get(pk=outbound.pk)
        if call.status not in (Outbound.Status.RINGING, Outbound.Status.QUEUED):
            return call.status, False  # answered already: later key presses change nothing
        call.status = answer or Outbound.Status.WRONG_KEY
        call.digits = pressed.strip()[:16]
        call.save(update_fields=["status", "digits", "updated_at"])
    return call.status, True


def decoy_call_status(token: str) -> str:
    """A decoy call's row, locked as consume_confirmed_call locks a real one: never answered."""
    with transaction.atomic():
        call = (
            Outbound.objects.select_for_update()
            .filter(token=token, user=None, status=Outbound.Status.DECOY)
            .first()
        )
    return Outbound.Status.RINGING if call is not None else ""


def consume_confirmed_call(token: str, user: User) -> str:
    """Use up a confirmed call once; returns the call's status before this."""
    with transaction.atomic():
        call = Outbound.objects.select_for_update().filter(token=token, user=user).first()
        if call is None:
            return ""
        if call.status == Outbound.Status.CONFIRMED and call.consumed_at is None:
            call.consumed_at = clock.now()
            call.save(update_fields=["consumed_at", "updated_at"])
            return Outbound.Status.CONFIRMED
        if call.status == Outbound.Status.CONFIRMED:
            return "consumed"
        return call.status


def call_status(token: str, user: User) -> str:
    return (
        Outbound.objects.filter(token=token, user=user).values_list("status", flat=True).first()
        or ""
    )

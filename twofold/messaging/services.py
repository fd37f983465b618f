"""Sending texts and placing calls: limits against SMS pumping, gateway failures, results."""

from __future__ import annotations

import datetime as dt
import logging
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
from twofold.messaging.gateways import get_gateway
from twofold.messaging.gateways.base import CallScript, GatewayError
from twofold.messaging.models import Outbound

logger = logging.getLogger(__name__)

HOUR = 3600
DAY = 24 * HOUR


class SendRefused(Exception):
    """Nothing was sent; ``message`` tells the person why and what to do instead."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _check_limits(user: User, to_number: str) -> None:
    # SMS pumping / toll fraud: an attacker makes the service send many paid texts or
    # calls to premium numbers. Limits per user, per destination and per country bound it.
    # They are counted in the database, so a cache outage can't lift them.
    limits = settings.TWOFOLD_MESSAGE_LIMITS
    country = str(phonenumbers.parse(to_number).country_code)
    try:
        ratelimit.take(
            Limit("msg-user-15m", str(user.pk), 15 * 60, limits["per_user_15_minutes"]),
            Limit("msg-user-day", str(user.pk), DAY, limits["per_user_day"]),
            Limit("msg-number-hour", to_number, HOUR, limits["per_number_hour"]),
            Limit("msg-country-hour", country, HOUR, limits["per_country_hour"]),
        )
    except LimitReached as reached:
        logger.warning("message limit %s reached", reached.limit.scope)
        raise SendRefused(
            _(
                "Too many texts or calls were sent for this sign-in. "
                "Wait a while or choose another way to verify."
            )
        ) from None


BACKOFF_WINDOW_SECONDS = 15 * 60
BACKOFF_FIRST_WAIT_SECONDS = 30
FREE_SENDS = 3


def _check_backoff(user: User, to_number: str) -> None:
    """Three sends in a row are free (sign up, sign in, a retry); then each wait doubles.

    Someone hammering "Send a new code" gets a clear wait instead of a stream of texts.
    The texts and calls already sent are the history, so this holds without the cache.
    """
    now = clock.now()
    history = list(
        Outbound.objects.filter(
            user=user,
            to_number=to_number,
            created_at__gt=now - dt.timedelta(seconds=BACKOFF_WINDOW_SECONDS),
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)[:32]
    )
    if len(history) < FREE_SENDS:
        return
    wait = BACKOFF_FIRST_WAIT_SECONDS * 2 ** (len(history) - FREE_SENDS)
    remaining = int((history[0] - now).total_seconds() + wait + 0.999)
    if remaining > 0:
        raise SendRefused(
            ngettext(
                "Wait %(seconds)d second before asking for another code or call.",
                "Wait %(seconds)d seconds before asking for another code or call.",
                remaining,
            )
            % {"seconds": remaining}
        )


def _reserve(user: User, to_number: str, **fields: Any) -> Outbound:
    """Check every limit and write the text's or call's row, in one transaction.

    The limit counters stay locked until the row is written, so two sends racing at the
    last free one can't both pass, and the next send sees this one in its backoff history.
    Nothing goes to the gateway until this has committed.
    """
    with transaction.atomic():
        _check_limits(user, to_number)
        _check_backoff(user, to_number)
        return Outbound.objects.create(
            to_number=to_number,
            user=user,
            language=translation.get_language() or "en",
            **fields,
        )


def send_text(user: User, to_number: str, body: str, *, purpose: str) -> Outbound:
    gateway = get_gateway()
    outbound = _reserve(user, to_number, channel=Outbound.Channel.TEXT, gateway=gateway.name)
    try:
        outbound.provider_id = gateway.send_text(outbound, body)
    except GatewayError as error:
        _record_failure(outbound, user, purpose, error)
        raise SendRefused(
            _("We couldn't send a text right now. Try again in a few minutes or use another way.")
        ) from error
    if outbound.status == Outbound.Status.QUEUED:
        outbound.status = Outbound.Status.SENT
    outbound.save(update_fields=["provider_id", "status", "updated_at"])
    return outbound


def place_call(
    user: User, to_number: str, extension: str, *, purpose: str, script: CallScript
) -> Outbound:
    """Call the number; ``script`` (from the method placing it) says what the call asks for."""
    gateway = get_gateway()
    if not gateway.supports_calls:
        raise SendRefused(_("Phone calls aren't available. Use another way to verify."))
    outbound = _reserve(
        user,
        to_number,
        channel=Outbound.Channel.CALL,
        extension=extension,
        gateway=gateway.name,
    )
    try:
        outbound.provider_id = gateway.place_call(outbound, script)
    except GatewayError as error:
        _record_failure(outbound, user, purpose, error)
        raise SendRefused(
            _("We couldn't call you right now. Try again in a few minutes or use another way.")
        ) from error
    if outbound.status == Outbound.Status.QUEUED:
        outbound.status = Outbound.Status.RINGING
    outbound.save(update_fields=["provider_id", "status", "updated_at"])
    return outbound


def _record_failure(outbound: Outbound, user: User, purpose: str, error: Exception) -> None:
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

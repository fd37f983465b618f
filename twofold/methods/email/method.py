"""Email: a code sent to an address of the user's own, for password reset only."""

from __future__ import annotations

import datetime as dt
import logging
from typing import TYPE_CHECKING, Any

from django import forms
from django.conf import settings
from django.core.mail import send_mail
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from twofold.core import clock, ratelimit
from twofold.core.ratelimit import Limit, LimitReached
from twofold.core.waits import Unit, Wait
from twofold.methods import codes
from twofold.methods.base import ChallengeRefused, NewMethod, SecurityMethod, VerificationFailed
from twofold.methods.email.forms import RESEND, SEND, EmailAddressForm, EmailCodeForm
from twofold.methods.purposes import Purpose

if TYPE_CHECKING:
    from twofold.accounts.models import User
    from twofold.methods.models import RegisteredMethod

logger = logging.getLogger(__name__)

# Mail bombing: a code to any address on request would let anyone flood an inbox.
SENDS_PER_ADDRESS_HOUR = 5
SENDS_PER_USER_HOUR = 10


def _name_key(key: str) -> str:
    # Never a user's id (digits only): a made-up name can't count on a real user's limit.
    return f"name:{key}"


def mask_address(address: str) -> str:
    """ad•••@contoso.example"""
    local, _, domain = address.partition("@")
    return f"{local[:2]}\u2022\u2022\u2022@{domain}"


def next_email_message(at: dt.datetime | None) -> str:
    """When another email can be asked for, from the limits' real windows."""
    if at is None:
        return _("No more emails can be sent. Use another way.")
    wait = Wait.until(at)
    if wait.unit is Unit.SECONDS:
        return ngettext(
            "You can ask for another email in %(count)d second.",
            "You can ask for another email in %(count)d seconds.",
            wait.count,
        ) % {"count": wait.count}
    if wait.unit is Unit.MINUTES:
        return ngettext(
            "You can ask for another email in %(count)d minute.",
            "You can ask for another email in %(count)d minutes.",
            wait.count,
        ) % {"count": wait.count}
    return _("You can ask for another email after %(time)s.") % {"time": wait.moment}


class EmailMethod(codes.SentCodeChallenge, SecurityMethod):
    key = "email"
    name = gettext_lazy("Email")
    description = gettext_lazy(
        "Get a code by email at an address of your own (not your work address), "
        "to reset your password."
    )
    strength = 10
    # An inbox is often reachable with the same password: never a second factor.
    for_two_step = False
    for_password_reset = True
    api_collection = "emailMethods"
    api_type = "#microsoft.graph.emailAuthenticationMethod"
    admin_adds_as = "email"
    registration_form = EmailAddressForm
    challenge_form = EmailCodeForm
    reset_contact_label = gettext_lazy("The email address in your security info")
    registration_template = "methods/email/register.html"
    challenge_template = "methods/email/challenge.html"

    def begin_registration(self, user: User) -> dict[str, Any]:
        return {}

    def make_registration_form(
        self, user: User, data: Any = None, *, pending: dict[str, Any] | None = None
    ) -> forms.Form:
        return EmailAddressForm(data, code_sent="code_hash" in (pending or {}))

    def registration_context(
        self, user: User, pending: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        address = pending.get("email", "")
        return {"contacted": mask_address(address) if "code_hash" in pending else ""}

    def advance_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> dict[str, Any] | None:
        action = cleaned_data.get("action")
        if action == RESEND:
            # The address the first code went to, kept server-side; the same limits apply.
            if "code_hash" not in pending:
                raise VerificationFailed(_("Enter your email address first."))
            return {
                "email": pending["email"],
                **self._send_code(str(user.pk), pending["email"], now),
            }
        if action != SEND:
            return None
        address = cleaned_data["email"].strip().lower()
        _check_own_address(user, address)
        return {"email": address, **self._send_code(str(user.pk), address, now)}

    def finish_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> NewMethod:
        self.check_code(pending, cleaned_data["code"], now)
        return NewMethod(label="", data={"email": pending["email"]})

    def begin_challenge(
        self, method: RegisteredMethod, request: HttpRequest, purpose: Purpose = Purpose.SIGN_IN
    ) -> dict[str, Any]:
        user_key = str(method.user.pk)
        if purpose == Purpose.PASSWORD_RESET:
            # Counted per name, as a made-up account's are (see codes.reset_sender_key).
            user_key = _name_key(codes.reset_sender_key(codes.name_seed(method.user.username)))
        try:
            return self._send_code(user_key, method.data["email"], clock.now())
        except VerificationFailed as refused:
            raise ChallengeRefused(refused.message) from None

    def look_alike_state(self, seed: bytes, contact: str = "") -> dict[str, Any]:
        # A real send's limits and code state for the typed address; no email goes out.
        decoy_key = codes.reset_sender_key(seed)
        try:
            return self._send_code(
                _name_key(decoy_key), contact.strip().lower(), clock.now(), decoy_key=decoy_key
            )
        except VerificationFailed as refused:
            raise ChallengeRefused(refused.message) from None

    def look_alike_verify(
        self, cleaned_data: dict[str, Any], now: dt.datetime, state: dict[str, Any]
    ) -> None:
        # The same check as verify() (expiry, keyed hash compare); no code is ever right.
        self.check_code(state, cleaned_data["code"], now)
        raise VerificationFailed(_("That code isn't right. Check it and try again."))

    def challenge_context(
        self, method: RegisteredMethod, state: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        return {"contacted": mask_address(method.data["email"])}

    def check_code(self, state: dict[str, Any], code: str, now: dt.datetime) -> None:
        codes.check_sent_code(
            state,
            code,
            now,
            not_sent=_("First ask for a code to be sent."),
            wrong=_("That code isn't right. Check it and try again."),
        )

    def describe(self, method: RegisteredMethod) -> str:
        return mask_address(method.data["email"])

    def api_properties(self, method: RegisteredMethod) -> dict[str, str]:
        return {"emailAddress": self.describe(method)}

    def admin_registration(self, user: User, value: str) -> NewMethod:
        # The registration page's form and checks, and no second copy of the same address.
        form = EmailAddressForm({"action": SEND, "email": value})
        if not form.is_valid():
            raise VerificationFailed(" ".join(str(m) for ms in form.errors.values() for m in ms))
        address = form.cleaned_data["email"].strip().lower()
        _check_own_address(user, address)
        from twofold.methods.models import RegisteredMethod

        for registered in RegisteredMethod.objects.filter(user=user, kind=self.key):
            if registered.data.get("email") == address:
                raise VerificationFailed(
                    _("%(address)s is already in your security info.")
                    % {"address": mask_address(address)}
                )
        return NewMethod(label="", data={"email": address})

    def contact_matches(self, method: RegisteredMethod, typed: str) -> bool:
        return typed.strip().lower() == method.data["email"]

    def mask_contact(self, typed: str) -> str:
        return mask_address(typed.strip().lower())

    def notice_address(self, method: RegisteredMethod) -> str | None:
        # An address of the user's own: they hear of a reset even if the work inbox is taken.
        return str(method.data["email"])

    def _send_code(
        self, user_key: str, address: str, now: dt.datetime, *, decoy_key: str = ""
    ) -> dict[str, Any]:
        """Count the limits and send a code; a decoy (``decoy_key``, a made-up account's)
        counts the same limits and sends nothing."""
        # A decoy counts per name and typed address: someone's real address typed on made-up
        # names must not use up that person's emails.
        address_key = f"decoy:{decoy_key}:{address}" if decoy_key else address
        try:
            # Counted in the database: a cache outage must not open the inbox flood.
            ratelimit.take(
                Limit("email-address", address_key, 3600, SENDS_PER_ADDRESS_HOUR),
                Limit("email-user", user_key, 3600, SENDS_PER_USER_HOUR),
            )
        except LimitReached as reached:
            raise VerificationFailed(
                _("Too many emails were sent.") + " " + next_email_message(reached.retry_at)
            ) from None
        code = codes.new_code()
        organisation = settings.TWOFOLD_ORGANISATION_NAME
        subject = _("Your %(organisation)s verification code") % {"organisation": organisation}
        message = _(
            "Your verification code is %(code)s\n\n"
            "Use it to verify your identity at %(organisation)s. It works for %(minutes)d "
            "minutes. If you didn't ask for a code, you can ignore this email."
        ) % {
            "code": code,
            "organisation": organisation,
            "minutes": settings.TWOFOLD_PHONE_CODE_MINUTES,
        }
        try:
            if not decoy_key:
                send_mail(subject, message, from_email=None, recipient_list=[address])
        except OSError:
            logger.warning("could not send a verification email", exc_info=True)
            raise VerificationFailed(
                _("We couldn't send an email right now. Try again later or use another way.")
            ) from None
        return codes.new_code_state(code, now, settings.TWOFOLD_PHONE_CODE_MINUTES * 60)


def _check_own_address(user: User, address: str) -> None:
    if address == user.username or address == (user.email or "").lower():
        raise VerificationFailed(
            _("Use an address other than your work account: you need it when that is locked.")
        )

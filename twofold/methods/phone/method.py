"""Phone methods: a code by text message, a call to a mobile, to an alternate mobile phone,
or to the office phone."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any, ClassVar

from django import forms
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from twofold.accounts.phones import NumberUse
from twofold.core import clock
from twofold.fraud.services import blocked_message, has_open_fraud_alert
from twofold.messaging import services as messaging
from twofold.messaging.gateways import get_gateway
from twofold.messaging.models import Outbound
from twofold.methods import codes
from twofold.methods.base import (
    ChallengeRefused,
    NewMethod,
    NotAnsweredYet,
    SecurityMethod,
    VerificationFailed,
)
from twofold.methods.models import RegisteredMethod
from twofold.methods.phone import keys as call_keys
from twofold.methods.phone import numbers
from twofold.methods.phone.forms import (
    RESEND,
    SEND,
    CallAnswerForm,
    CallRegistrationForm,
    OfficePhoneForm,
    PhoneNumberForm,
    TextCodeForm,
)
from twofold.methods.purposes import Purpose
from twofold.policy.snapshot import method_options

if TYPE_CHECKING:
    from twofold.accounts.models import User


class AlreadyRegistered(VerificationFailed):
    """The number is already this method: a second one would only list it twice."""

    counts_as_failure = False


class PhoneMethod(SecurityMethod):
    """What texts and calls share: a number, allowed regions, a masked display."""

    strength = 30
    for_two_step = True
    for_password_reset = True
    reset_contact_label = gettext_lazy("The phone number in your security info")
    number_use: ClassVar[NumberUse] = NumberUse.TEXT
    one_per_person = True
    # Kinds whose number this one must not share: an alternate phone that rings the mobile
    # is no way in when the mobile is lost.
    distinct_from: ClassVar[tuple[str, ...]] = ()
    api_collection = "phoneMethods"
    api_type = "#microsoft.graph.phoneAuthenticationMethod"
    # Graph's phoneType of the number this method uses.
    api_phone_type: ClassVar[str] = "mobile"

    def begin_registration(self, user: User) -> dict[str, Any]:
        return {"number": user.mobile_phone}

    def registration_context(
        self, user: User, pending: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        number = pending.get("number") or ""
        return {
            "regions": numbers.region_choices(),
            "chosen_region": numbers.region_of(number) if number else "",
            "directory_number": number,
            "contacted": masked_or_empty(number) if _contacted(pending) else "",
        }

    def describe(self, method: RegisteredMethod) -> str:
        data = method.data
        extension = data.get("extension")
        masked = numbers.masked(data["number"])
        return (
            _("%(number)s ext. %(extension)s") % {"number": masked, "extension": extension}
            if extension
            else masked
        )

    def challenge_context(
        self, method: RegisteredMethod, state: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        return {"contacted": numbers.masked(method.data["number"])}

    def api_properties(self, method: RegisteredMethod) -> dict[str, str]:
        return {"phoneNumber": self.describe(method), "phoneType": self.api_phone_type}

    def admin_registration(self, user: User, value: str) -> NewMethod:
        # The checks of the registration page: digits only, no premium-rate or other service
        # ranges, the organisation's regions, not twice the same number.
        try:
            number = numbers.normalise(value, "", self.number_use)
        except forms.ValidationError as error:
            raise VerificationFailed(" ".join(error.messages)) from None
        self._check_region(number)
        self._check_not_registered(user, number)
        return NewMethod(label="", data={"number": number})

    def contact_matches(self, method: RegisteredMethod, typed: str) -> bool:
        stored = method.data["number"]
        try:
            return numbers.normalise(typed, numbers.region_of(stored), self.number_use) == stored
        except forms.ValidationError:
            return False

    def mask_contact(self, typed: str) -> str:
        # The typed number may not be this account's: show only what the person typed last.
        digits = "".join(ch for ch in typed if ch.isdigit())
        return f"\u2022\u2022\u2022{digits[-2:]}" if digits else ""

    def _check_region(self, number: str) -> None:
        allowed = method_options(self.key).get("allowed_regions") or []
        # Toll fraud hits far-away premium ranges: an organisation can keep to its countries.
        if allowed and numbers.region_of(number) not in allowed:
            raise VerificationFailed(
                _("Your organisation doesn't allow texts or calls to this country or region.")
            )

    def _check_not_registered(self, user: User, number: str, extension: str = "") -> None:
        # Numbers are stored encrypted: compare after decrypting this user's few rows.
        kinds = (self.key, *self.distinct_from)
        for registered in RegisteredMethod.objects.filter(user=user, kind__in=kinds):
            data = registered.data
            if (data.get("number"), data.get("extension", "")) == (number, extension or ""):
                raise AlreadyRegistered(
                    _(
                        "%(number)s is already in your security info as %(method)s. "
                        "Use a different number or keep the one you have."
                    )
                    % {"number": numbers.masked(number), "method": _name_of(registered.kind)}
                )


class TextMethod(codes.SentCodeChallenge, PhoneMethod):
    key = "phone_text"
    distinct_from: ClassVar[tuple[str, ...]] = ("alternate_phone_call",)
    amr = "sms"
    api_preference = "sms"
    admin_adds_as = "mobile"
    name = gettext_lazy("Phone: text message")
    description = gettext_lazy("Get a 6-digit code by text message on your mobile phone.")
    registration_form = PhoneNumberForm
    challenge_form = TextCodeForm
    registration_template = "methods/phone/register.html"
    challenge_template = "methods/phone/challenge_text.html"

    def make_registration_form(
        self, user: User, data: Any = None, *, pending: dict[str, Any] | None = None
    ) -> forms.Form:
        return PhoneNumberForm(data, code_sent=_contacted(pending or {}))

    def advance_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> dict[str, Any] | None:
        action = cleaned_data.get("action")
        if action == RESEND:
            number = _contacted_number(pending)
        elif action == SEND:
            number = cleaned_data["e164"]
        else:
            return None
        self._check_region(number)
        self._check_not_registered(user, number)
        return {"number": number, **self._send_code(user, number, now, purpose="registration")}

    def finish_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> NewMethod:
        # Two tabs could each have a code for the same number: only one becomes a method.
        self._check_not_registered(user, pending.get("number") or "")
        self.check_code(pending, cleaned_data["code"], now)
        return NewMethod(label="", data={"number": pending["number"]})

    def begin_challenge(
        self, method: RegisteredMethod, request: HttpRequest, purpose: Purpose = Purpose.SIGN_IN
    ) -> dict[str, Any]:
        if has_open_fraud_alert(method.user):
            raise ChallengeRefused(blocked_message(), blocked=True)
        try:
            return self._send_code(
                _sender(method.user, purpose), method.data["number"], clock.now(), purpose=purpose
            )
        except VerificationFailed as refused:
            raise ChallengeRefused(refused.message) from None

    def look_alike_state(self, seed: bytes, contact: str = "") -> dict[str, Any]:
        # A real send's limits, backoff, row and code state, to the typed number, sent nowhere.
        sender = messaging.Sender.for_name(None, codes.reset_sender_key(seed))
        try:
            return self._send_code(
                sender,
                _typed_number(self.key, contact),
                clock.now(),
                purpose=Purpose.PASSWORD_RESET,
            )
        except VerificationFailed as refused:
            raise ChallengeRefused(refused.message) from None

    def look_alike_verify(
        self, cleaned_data: dict[str, Any], now: dt.datetime, state: dict[str, Any]
    ) -> None:
        # The same check as verify() (expiry, keyed hash compare); no code is ever right.
        self.check_code(state, cleaned_data["code"], now)
        raise VerificationFailed(_("That code isn't right. Check the text and try again."))

    def check_code(self, state: dict[str, Any], code: str, now: dt.datetime) -> None:
        codes.check_sent_code(
            state,
            code,
            now,
            not_sent=_("First select Text me a code (or Send a new code) to get a code."),
            wrong=_("That code isn't right. Check the text and try again."),
        )

    def _send_code(
        self, user: User | messaging.Sender, number: str, now: dt.datetime, *, purpose: str
    ) -> dict[str, Any]:
        code = codes.new_code()
        body = _("%(code)s is your %(organisation)s verification code. Don't share it.") % {
            "code": code,
            "organisation": settings.TWOFOLD_ORGANISATION_NAME,
        }
        try:
            messaging.send_text(user, number, body, purpose=purpose)
        except messaging.SendRefused as refused:
            raise VerificationFailed(refused.message) from None
        return codes.new_code_state(code, now, settings.TWOFOLD_PHONE_CODE_MINUTES * 60)


class CallMethod(PhoneMethod):
    key = "phone_call"
    distinct_from: ClassVar[tuple[str, ...]] = ("alternate_phone_call",)
    amr = "tel"
    api_preference = "voiceMobile"
    number_use = NumberUse.CALL
    name = gettext_lazy("Phone: call")
    description = gettext_lazy("Get a call on your phone and press # to confirm.")
    registration_form: ClassVar[type[forms.Form]] = CallRegistrationForm
    challenge_form = CallAnswerForm
    registration_template = "methods/phone/register.html"
    challenge_template = "methods/phone/challenge_call.html"

    def is_available_for(self, user: User) -> bool:
        return get_gateway().supports_calls

    def advance_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> dict[str, Any] | None:
        action = cleaned_data.get("action")
        if action == RESEND:
            # The number the first call went to, kept server-side; the same limits apply.
            number, extension = _contacted_number(pending), pending.get("extension", "")
        elif action == SEND:
            number, extension = self._destination(pending, cleaned_data)
        else:
            return None
        self._check_region(number)
        self._check_not_registered(user, number, extension)
        return {
            "number": number,
            "extension": extension,
            **self._call(user, number, extension, "registration"),
        }

    def finish_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> NewMethod:
        self._check_not_registered(user, pending.get("number") or "", pending.get("extension", ""))
        _check_call(user, pending)
        data = {"number": pending["number"]}
        if pending.get("extension"):
            data["extension"] = pending["extension"]
        return NewMethod(label="", data=data)

    def begin_challenge(
        self, method: RegisteredMethod, request: HttpRequest, purpose: Purpose = Purpose.SIGN_IN
    ) -> dict[str, Any]:
        if has_open_fraud_alert(method.user):
            raise ChallengeRefused(blocked_message(), blocked=True)
        data = method.data
        try:
            return self._call(
                _sender(method.user, purpose), data["number"], data.get("extension", ""), purpose
            )
        except VerificationFailed as refused:
            raise ChallengeRefused(refused.message) from None

    def look_alike_state(self, seed: bytes, contact: str = "") -> dict[str, Any]:
        # A real call's limits, backoff and row, to the typed number; no phone rings.
        sender = messaging.Sender.for_name(None, codes.reset_sender_key(seed))
        try:
            return self._call(sender, _typed_number(self.key, contact), "", Purpose.PASSWORD_RESET)
        except VerificationFailed as refused:
            raise ChallengeRefused(refused.message) from None

    def look_alike_verify(
        self, cleaned_data: dict[str, Any], now: dt.datetime, state: dict[str, Any]
    ) -> None:
        token = state.get("call_token")
        if not token:
            raise NotAnsweredYet(_("First select Call me to get a call."))
        # The same locked look at the call's row as verify(); a decoy is never answered, so
        # as a real call nobody answered: not a wrong guess, the call is awaited.
        messaging.decoy_call_status(token)
        raise NotAnsweredYet(
            _("We haven't had your answer yet. Answer the call, press #, then continue.")
        )

    def challenge_still_open(self, state: dict[str, Any], now: dt.datetime) -> bool:
        return "call_token" in state and not state.get("finished")

    def verify(
        self,
        method: RegisteredMethod,
        cleaned_data: dict[str, Any],
        now: dt.datetime,
        state: dict[str, Any],
    ) -> None:
        _check_call(method.user, state)

    def _destination(
        self, pending: dict[str, Any], cleaned_data: dict[str, Any]
    ) -> tuple[str, str]:
        return cleaned_data["e164"], ""

    def _call(
        self, user: User | messaging.Sender, number: str, extension: str, purpose: str
    ) -> dict[str, Any]:
        try:
            # The purpose picks the call's budget of limits (see messaging.budget_of).
            call = messaging.place_call(
                user, number, extension, purpose=purpose, script=call_keys.call_script()
            )
        except messaging.SendRefused as refused:
            raise VerificationFailed(refused.message) from None
        return {"call_token": call.token}


class AlternateCallMethod(CallMethod):
    """A second mobile number, called only: a way in when the mobile phone is lost."""

    key = "alternate_phone_call"
    distinct_from: ClassVar[tuple[str, ...]] = ("phone_text", "phone_call")
    api_phone_type = "alternateMobile"
    api_preference = "voiceAlternateMobile"
    admin_adds_as = "alternateMobile"
    name = gettext_lazy("Alternate phone")
    description = gettext_lazy(
        "Get a call on another mobile phone of yours and press # to confirm."
    )
    reset_contact_label = gettext_lazy("The alternate phone number in your security info")

    def begin_registration(self, user: User) -> dict[str, Any]:
        # The directory's number is the mobile phone: the alternate is typed by the person.
        return {}


class OfficeCallMethod(CallMethod):
    """The office phone from the directory, with its extension; users can't change it."""

    key = "office_call"
    distinct_from: ClassVar[tuple[str, ...]] = ()
    api_phone_type = "office"
    api_preference = "voiceOffice"
    admin_adds_as = "office"
    name = gettext_lazy("Office phone")
    description = gettext_lazy("Get a call on your office phone and press # to confirm.")
    registration_form: ClassVar[type[forms.Form]] = OfficePhoneForm
    registration_template = "methods/phone/register_office.html"

    def is_available_for(self, user: User) -> bool:
        return bool(user.office_phone) and super().is_available_for(user)

    def begin_registration(self, user: User) -> dict[str, Any]:
        return {"number": user.office_phone, "extension": user.office_phone_extension}

    def registration_context(
        self, user: User, pending: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        return super().registration_context(user, pending, request) | {
            "office_number": numbers.masked(user.office_phone) if user.office_phone else "",
            "office_extension": user.office_phone_extension,
        }

    def _destination(
        self, pending: dict[str, Any], cleaned_data: dict[str, Any]
    ) -> tuple[str, str]:
        return pending["number"], pending.get("extension", "")


def _name_of(kind: str) -> str:
    from twofold.methods.registry import get_method  # the registry imports this module

    method = get_method(kind)
    return str(method.name) if method is not None else kind


def _sender(user: User, purpose: str) -> messaging.Sender:
    if purpose == Purpose.PASSWORD_RESET:
        # Counted per name, as a made-up account's are (see codes.reset_sender_key).
        key = codes.reset_sender_key(codes.name_seed(user.username))
        return messaging.Sender.for_name(user, key)
    return messaging.Sender.for_user(user)


def _typed_number(key: str, typed: str) -> str:
    """A typed number in E.164 as well as it goes; made-up accounts have no region to try."""
    allowed = method_options(key).get("allowed_regions") or [""]
    try:
        return numbers.normalise(typed, allowed[0], NumberUse.CALL)
    except forms.ValidationError:
        return "+" + "".join(ch for ch in typed if ch.isdigit())[:15]


def masked_or_empty(number: str) -> str:
    return numbers.masked(number) if number else ""


def _contacted(pending: dict[str, Any]) -> bool:
    return "code_hash" in pending or "call_token" in pending


def _contacted_number(pending: dict[str, Any]) -> str:
    """The number a registration's first text or call went to, for sending again."""
    if not _contacted(pending) or not pending.get("number"):
        raise VerificationFailed(_("Enter your phone number first."))
    return str(pending["number"])


def _check_call(user: User, state: dict[str, Any]) -> None:
    token = state.get("call_token")
    if not token:
        raise NotAnsweredYet(_("First select Call me to get a call."))
    status = messaging.consume_confirmed_call(token, user)
    if status == Outbound.Status.CONFIRMED:
        return
    if status == Outbound.Status.FRAUD_REPORTED:
        raise VerificationFailed(blocked_message())
    if status in (Outbound.Status.RINGING, Outbound.Status.QUEUED):
        raise NotAnsweredYet(
            _("We haven't had your answer yet. Answer the call, press #, then continue.")
        )
    if status == "consumed":
        raise VerificationFailed(_("This call was already used. Ask for a new call."))
    raise NotAnsweredYet(_("The call wasn't confirmed. Ask for a new call and press # when asked."))

"""The one check for phone numbers: typed in forms, given on the CLI or in the admin pages."""

from __future__ import annotations

import enum

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from phonenumbers import PhoneNumberType


class NumberUse(enum.Enum):
    """What a number will get: the kinds of number it may be depend on it."""

    TEXT = "text"
    CALL = "call"


# SMS pumping and toll fraud pay out on premium-rate, shared-cost and other service ranges:
# only numbers that can be a person's own phone get texts or calls. FIXED_LINE_OR_MOBILE is
# how the US and Canada (and a few more) number both, so it can't be told apart.
ALLOWED_TYPES = {
    NumberUse.TEXT: frozenset({PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE}),
    NumberUse.CALL: frozenset(
        {
            PhoneNumberType.MOBILE,
            PhoneNumberType.FIXED_LINE,
            PhoneNumberType.FIXED_LINE_OR_MOBILE,
        }
    ),
}

# The directory's phones: the mobile gets texts (and calls), the office phone only calls.
DIRECTORY_USES = {"mobile_phone": NumberUse.TEXT, "office_phone": NumberUse.CALL}

_KIND_NAMES: dict[int, Promise] = {
    PhoneNumberType.FIXED_LINE: gettext_lazy("landline number"),
    PhoneNumberType.PREMIUM_RATE: gettext_lazy("premium-rate number"),
    PhoneNumberType.TOLL_FREE: gettext_lazy("toll-free number"),
    PhoneNumberType.SHARED_COST: gettext_lazy("shared-cost number"),
    PhoneNumberType.VOIP: gettext_lazy("internet (VoIP) number"),
    PhoneNumberType.PERSONAL_NUMBER: gettext_lazy("personal forwarding number"),
    PhoneNumberType.PAGER: gettext_lazy("pager number"),
    PhoneNumberType.UAN: gettext_lazy("company-wide number"),
    PhoneNumberType.VOICEMAIL: gettext_lazy("voicemail number"),
}


def normalise_phone_number(value: str, use: NumberUse, region: str | None = None) -> str:
    """E.164 for a number with its +code, or typed nationally in ``region``.

    Raises a ValidationError a person understands: letters, no such number, or a kind of
    number that ``use`` doesn't go to.
    """
    # phonenumbers turns letters into keypad digits ("0612345abc" is +31612345222): nobody
    # should get a code on a number they didn't type.
    if any(ch.isalpha() for ch in value):
        raise ValidationError(
            _("Type the phone number with digits only; letters aren't accepted."),
            code="letters",
        )
    try:
        parsed = phonenumbers.parse(value, region or None)
    except phonenumbers.NumberParseException:
        message = (
            _("That doesn't look like a phone number. Check the digits.")
            if region
            else _("Enter the phone number with its country code, for example +31 20 123 4567.")
        )
        raise ValidationError(message, code="unparseable") from None
    if not phonenumbers.is_valid_number(parsed):
        message = (
            _("This phone number doesn't exist in the country or region you chose.")
            if region
            else _(
                "%(number)s is not a phone number that exists. "
                "Check the digits and the country code."
            )
            % {"number": value}
        )
        raise ValidationError(message, code="invalid")
    kind = phonenumbers.number_type(parsed)
    if kind not in ALLOWED_TYPES[use]:
        name = _KIND_NAMES.get(kind, gettext_lazy("service number"))
        message = (
            _("This is a %(kind)s. Texts go only to mobile phone numbers: enter a mobile number.")
            if use is NumberUse.TEXT
            else _(
                "This is a %(kind)s. Calls go only to mobile and landline numbers: "
                "enter one of those."
            )
        )
        raise ValidationError(message % {"kind": name}, code="number_type")
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

from __future__ import annotations

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


def normalise_phone_number(value: str, default_region: str | None = None) -> str:
    """Return the number in E.164 form, or raise a ValidationError a person understands."""
    try:
        parsed = phonenumbers.parse(value, default_region)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("Enter the phone number with its country code, for example +31 20 123 4567."),
            code="unparseable",
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _(
                "%(number)s is not a phone number that exists. "
                "Check the digits and the country code."
            )
            % {"number": value},
            code="invalid",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)

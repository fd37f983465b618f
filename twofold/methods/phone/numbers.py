"""Phone numbers for security info: the country/region picker, E.164, masking for display."""

from __future__ import annotations

from functools import lru_cache

import phonenumbers
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from phonenumbers import geocoder


@lru_cache(maxsize=8)
def _regions(language: str) -> tuple[tuple[str, str], ...]:
    choices = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        example = phonenumbers.example_number(region)
        name = geocoder.country_name_for_number(example, language) if example else ""
        code = phonenumbers.country_code_for_region(region)
        choices.append((region, f"{name or region} (+{code})"))
    return tuple(sorted(choices, key=lambda choice: choice[1].casefold()))


def region_choices() -> list[tuple[str, str]]:
    """Country/region names in the page's language, with their calling codes."""
    return list(_regions((get_language() or "en")[:2]))


def normalise(number: str, region: str) -> str:
    """E.164 for a number typed nationally ("06 12345678", region NL) or with its +code."""
    try:
        parsed = phonenumbers.parse(number, region or None)
    except phonenumbers.NumberParseException:
        raise ValidationError(
            _("That doesn't look like a phone number. Check the digits."), code="unparseable"
        ) from None
    if not phonenumbers.is_valid_number(parsed):
        raise ValidationError(
            _("This phone number doesn't exist in the country or region you chose."),
            code="invalid",
        )
    return phonenumbers.format_number(parsed, phonenumbers.PhoneNumberFormat.E164)


def region_of(e164: str) -> str:
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""


def masked(e164: str) -> str:
    """+31 6••••••78: enough to recognise your own number, not to learn someone's."""
    parsed = phonenumbers.parse(e164)
    national = str(parsed.national_number)
    hidden = national[:1] + "\u2022" * max(0, len(national) - 3) + national[-2:]
    return f"+{parsed.country_code} {hidden}"

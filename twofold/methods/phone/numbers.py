"""Phone numbers for security info: the country/region picker, E.164, masking for display."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import phonenumbers
from babel import Locale, UnknownLocaleError
from django.utils.translation import get_language, to_locale

from twofold.accounts.phones import NumberUse, normalise_phone_number


def collation_key(name: str) -> str:
    """Sort key for names in English and Dutch without ICU.

    Accents and ligatures are dropped and case folded ("Åland" sorts as "aland", with the A's),
    which is what the CLDR collation of both languages does for country names.
    """
    decomposed = unicodedata.normalize("NFKD", name)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch)).casefold()


@lru_cache(maxsize=8)
def _regions(language: str) -> tuple[tuple[str, str], ...]:
    try:
        locale = Locale.parse(to_locale(language))
    except (UnknownLocaleError, ValueError):
        locale = Locale.parse("en")
    # CLDR names (via Babel), in the page's language: every region phonenumbers knows has one.
    choices = []
    for region in phonenumbers.SUPPORTED_REGIONS:
        name = locale.territories.get(region) or Locale.parse("en").territories[region]
        code = phonenumbers.country_code_for_region(region)
        choices.append((region, f"{name} (+{code})"))
    return tuple(sorted(choices, key=lambda choice: collation_key(choice[1])))


def region_choices() -> list[tuple[str, str]]:
    """Country/region names in the page's language, with their calling codes."""
    return list(_regions(get_language() or "en"))


def normalise(number: str, region: str, use: NumberUse) -> str:
    """E.164 for a number typed nationally ("06 12345678", region NL) or with its +code."""
    return normalise_phone_number(number, use, region)


def region_of(e164: str) -> str:
    return phonenumbers.region_code_for_number(phonenumbers.parse(e164)) or ""


def masked(e164: str) -> str:
    """+31 6••••••78: enough to recognise your own number, not to learn someone's."""
    parsed = phonenumbers.parse(e164)
    national = str(parsed.national_number)
    hidden = national[:1] + "\u2022" * max(0, len(national) - 3) + national[-2:]
    return f"+{parsed.country_code} {hidden}"

"""Password policy additions to Django's validators (length, common, numeric, similarity)."""

from __future__ import annotations

import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import ngettext_lazy

MAX_PASSWORD_LENGTH = 256

# Django 5.2 reworded MinimumLengthValidator's error, and its Dutch catalogue still has only the
# old wording, so Dutch pages showed this one in English. Naming the msgid here keeps Twofold's
# translation of it in Twofold's catalogue (which Django reads first) when messages are extracted.
DJANGO_MINIMUM_LENGTH_ERROR = ngettext_lazy(
    "This password is too short. It must contain at least %d character.",
    "This password is too short. It must contain at least %d characters.",
)


class MaximumLengthValidator:
    """Caps length so a megabyte "password" cannot be used to burn hashing time."""

    def validate(self, password: str, user: Any = None) -> None:
        if len(password) > MAX_PASSWORD_LENGTH:
            raise ValidationError(
                _("This password is too long. It may have at most %(max)d characters."),
                code="password_too_long",
                params={"max": MAX_PASSWORD_LENGTH},
            )

    def get_help_text(self) -> str:
        return _("Your password may have at most %(max)d characters.") % {
            "max": MAX_PASSWORD_LENGTH
        }


class OrganisationNameValidator:
    """Bans the organisation's own name and the service name, the first guesses of an attacker."""

    def validate(self, password: str, user: Any = None) -> None:
        folded = re.sub(r"[^a-z0-9]", "", password.lower())
        for word in self._banned_words():
            if len(word) >= 4 and word in folded:
                raise ValidationError(
                    _("Your password can't contain the name of your organisation."),
                    code="password_contains_organisation",
                )

    def get_help_text(self) -> str:
        return _("Your password can't contain the name of your organisation.")

    @staticmethod
    def _banned_words() -> list[str]:
        name = re.sub(r"[^a-z0-9]", "", settings.TWOFOLD_ORGANISATION_NAME.lower())
        return [name, "twofold"]

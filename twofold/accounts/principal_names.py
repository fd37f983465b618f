"""User principal names (``adele@contoso.example``): the sign-in name of a work account."""

from __future__ import annotations

import re
import unicodedata
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

MAX_LENGTH = 254
# local part: letters, digits and . _ - + ' ; domain: labels of letters, digits and hyphens.
_PRINCIPAL_NAME = re.compile(
    r"^[a-z0-9](?:[a-z0-9._+'-]{0,62}[a-z0-9_+-])?"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$"
)


def normalise_principal_name(value: str) -> str:
    """Case and Unicode form never make two accounts: ``Adele@Contoso.example`` is ``adele@...``."""
    return unicodedata.normalize("NFKC", value).strip().lower()


def validate_principal_name(value: str) -> None:
    if len(value) > MAX_LENGTH:
        raise ValidationError(
            _("An account name has at most %(max)d characters."),
            code="too_long",
            params={"max": MAX_LENGTH},
        )
    if not _PRINCIPAL_NAME.match(normalise_principal_name(value)):
        raise ValidationError(
            _("Enter your account name as name@organisation, for example adele@contoso.example."),
            code="invalid",
        )


class PrincipalNameField(forms.CharField):
    """The account name as typed on sign-in and reset pages: checked, then normalised."""

    def __init__(self, *, placeholder: str = "", **kwargs: Any) -> None:
        attrs = {"autocomplete": "username", "autofocus": True}
        if placeholder:
            attrs["placeholder"] = placeholder
        super().__init__(
            label=_("Account name"),
            max_length=MAX_LENGTH,
            error_messages={
                "required": _("Enter your account name, for example adele@contoso.example."),
                "max_length": _("An account name has at most %(limit_value)d characters."),
            },
            widget=forms.EmailInput(attrs=attrs),
            **kwargs,
        )

    def clean(self, value: Any) -> str:
        name = super().clean(value)
        validate_principal_name(name)
        return normalise_principal_name(name)

from __future__ import annotations

import json
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

_CREDENTIAL = {
    "max_length": 20_000,
    "widget": forms.HiddenInput(attrs={"data-webauthn-credential": ""}),
    "error_messages": {
        "required": _("Use your security key first: select the button and follow your browser."),
        "max_length": _("The security key's answer could not be read."),
    },
}


def _clean_credential(value: str) -> str:
    try:
        credential = json.loads(value)
    except ValueError:
        credential = None
    if not isinstance(credential, dict) or not isinstance(credential.get("response"), dict):
        # Unreadable is not a wrong answer: it doesn't count towards the lockout.
        raise forms.ValidationError(
            _("The security key's answer could not be read. Select the button to try again."),
            code="unreadable",
        )
    return value


class CredentialMixin:
    cleaned_data: dict[str, Any]

    def clean_credential(self) -> str:
        return _clean_credential(self.cleaned_data["credential"])


class RegisterSecurityKeyForm(CredentialMixin, forms.Form):
    name = forms.CharField(
        label=_("Name for this key"),
        max_length=60,
        help_text=_("For example: blue key on my key ring."),
        error_messages={"required": _("Give the key a name, so you can tell your keys apart.")},
    )
    credential = forms.CharField(**_CREDENTIAL)  # type: ignore[arg-type]


class UseSecurityKeyForm(CredentialMixin, forms.Form):
    credential = forms.CharField(**_CREDENTIAL)  # type: ignore[arg-type]

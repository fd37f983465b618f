from __future__ import annotations

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


class RegisterSecurityKeyForm(forms.Form):
    name = forms.CharField(
        label=_("Name for this key"),
        max_length=60,
        help_text=_("For example: blue key on my key ring."),
        error_messages={"required": _("Give the key a name, so you can tell your keys apart.")},
    )
    credential = forms.CharField(**_CREDENTIAL)  # type: ignore[arg-type]


class UseSecurityKeyForm(forms.Form):
    credential = forms.CharField(**_CREDENTIAL)  # type: ignore[arg-type]

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from twofold.methods.authenticator_code.forms import CodeField

SEND = "send"


class EmailAddressForm(forms.Form):
    """Registration: the address, "Send code", then the code from the email."""

    action = forms.CharField(required=False)
    email = forms.EmailField(
        label=_("Email address"),
        max_length=254,
        required=False,
        error_messages={"invalid": _("Enter an email address like name@example.org.")},
        widget=forms.EmailInput(attrs={"autocomplete": "email"}),
    )
    code = forms.CharField(label=_("Code"), max_length=20, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == SEND:
            if not data.get("email") and not self.has_error("email"):
                self.add_error("email", _("Enter your email address."))
        else:
            field = CodeField(required_message=_("Enter the 6-digit code from the email."))
            try:
                data["code"] = field.clean(data.get("code") or "")
            except forms.ValidationError as error:
                self.add_error("code", error)
        return data


class EmailCodeForm(forms.Form):
    code = CodeField(required_message=_("Enter the 6-digit code from the email."))

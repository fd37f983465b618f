from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from twofold.methods.authenticator_code.forms import CodeField

SEND = "send"
# Sends again to the address kept with the pending registration: nothing is typed.
RESEND = "resend"


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

    def __init__(self, *args: Any, code_sent: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.code_sent = code_sent

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == SEND:
            if not data.get("email") and not self.has_error("email"):
                self.add_error("email", _("Enter your email address."))
        elif data.get("action") == RESEND:
            pass
        elif not self.code_sent:
            # The code field shows only once a code went out: say what comes first.
            self.add_error(None, _("Send a code first, then enter it here."))
        else:
            field = CodeField(required_message=_("Enter the 6-digit code from the email."))
            try:
                data["code"] = field.clean(data.get("code") or "")
            except forms.ValidationError as error:
                self.add_error("code", error)
        return data


class EmailCodeForm(forms.Form):
    code = CodeField(required_message=_("Enter the 6-digit code from the email."))

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from twofold.accounts.phones import NumberUse
from twofold.methods.authenticator_code.forms import CodeField
from twofold.methods.phone import numbers

SEND = "send"
# Sends again to the number kept with the pending registration: nothing is typed.
RESEND = "resend"


class PhoneNumberForm(forms.Form):
    """Registration: pick the country/region and type the number, then "Contact me"."""

    # Set by the "Contact me" button (name="action" value="send"); absent for "Next".
    action = forms.CharField(required=False)
    code_required = True
    number_use = NumberUse.TEXT
    region = forms.ChoiceField(label=_("Country or region"), required=False)
    number = forms.CharField(
        label=_("Phone number"),
        max_length=32,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "tel-national", "inputmode": "tel"}),
    )
    code = forms.CharField(label=_("Code"), max_length=20, required=False)

    def __init__(self, *args: Any, code_sent: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.code_sent = code_sent
        self.fields["region"].choices = numbers.region_choices()  # type: ignore[attr-defined]
        self.fields["code"].widget.attrs.update(
            {"autocomplete": "one-time-code", "inputmode": "numeric"}
        )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == SEND:
            if not data.get("number"):
                self.add_error("number", _("Enter your phone number."))
            elif data.get("region"):
                try:
                    data["e164"] = numbers.normalise(
                        data["number"], data["region"], self.number_use
                    )
                except forms.ValidationError as error:
                    self.add_error("number", error)
            else:
                self.add_error("region", _("Choose your country or region."))
        elif data.get("action") == RESEND:
            pass
        elif self.code_required and not self.code_sent:
            # The code field shows only once a code went out: say what comes first.
            self.add_error(None, _("Send a code first, then enter it here."))
        elif self.code_required:
            code_field = CodeField(required_message=_("Enter the 6-digit code from the text."))
            try:
                data["code"] = code_field.clean(data.get("code") or "")
            except forms.ValidationError as error:
                self.add_error("code", error)
        return data


class CallRegistrationForm(PhoneNumberForm):
    code_required = False
    number_use = NumberUse.CALL


class OfficePhoneForm(forms.Form):
    """Office phone: the number comes from the directory; only "Call me" and "Next"."""

    action = forms.CharField(required=False)


class CallAnswerForm(forms.Form):
    """Nothing to type: the answer is the key pressed on the phone."""


class TextCodeForm(forms.Form):
    code = CodeField(required_message=_("Enter the 6-digit code from the text."))

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from twofold.methods.totp.forms import CodeField

# Registration steps the page posts (the button says which).
CHECK_ACTIVATION = "check"
SEND_AGAIN = "resend"
START_OVER = "restart"
FINISH = "finish"


class RegisterAuthenticatorAppForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(CHECK_ACTIVATION, ""), (SEND_AGAIN, ""), (START_OVER, ""), (FINISH, "")],
        widget=forms.HiddenInput,
        error_messages={"required": _("Select Next to continue.")},
    )


class AuthenticatorAppAnswerForm(forms.Form):
    """Empty when the page goes on after the app's answer; a code when the app is offline."""

    code = CodeField(required=False)

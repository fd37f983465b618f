from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from twofold.methods.authenticator_code.forms import CodeField

# Registration steps the page posts (the button says which).
CHECK_ACTIVATION = "check"
SEND_AGAIN = "resend"
START_OVER = "restart"
FINISH = "finish"


class OptionalCodeField(CodeField):
    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        # The page waits for the app; the code is the fallback, folded away.
        self.widget.attrs.pop("autofocus", None)

    def clean(self, value: object) -> str:
        if not str(value or "").strip():
            return ""
        return super().clean(value)


class AuthenticatorAppAnswerForm(forms.Form):
    """Empty when the page goes on after the app's answer; a code when the app is offline."""

    code = OptionalCodeField(required=False)


class RegisterAuthenticatorAppForm(forms.Form):
    action = forms.ChoiceField(
        choices=[(CHECK_ACTIVATION, ""), (SEND_AGAIN, ""), (START_OVER, ""), (FINISH, "")],
        widget=forms.HiddenInput,
        error_messages={"required": _("Select Next to continue.")},
    )
    # Asked for only when the organisation turned notifications off (codes only).
    code = OptionalCodeField(required=False)

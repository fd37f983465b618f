from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from twofold.methods.authenticator_code import otp

if TYPE_CHECKING:
    from django_stubs_ext import StrOrPromise


class CodeField(forms.CharField):
    def __init__(self, required_message: StrOrPromise | None = None, **kwargs: object) -> None:
        super().__init__(
            label=_("Code"),
            max_length=20,
            error_messages={
                "required": required_message
                or _("Enter the 6-digit code from your authenticator app."),
                "max_length": _("A code has 6 digits."),
            },
            widget=forms.TextInput(
                attrs={
                    "autocomplete": "one-time-code",
                    "inputmode": "numeric",
                    "autofocus": True,
                    "placeholder": "123456",
                }
            ),
            **kwargs,  # type: ignore[arg-type]
        )

    def clean(self, value: object) -> str:
        code = otp.normalise_code(super().clean(value))
        if not otp.is_well_formed(code):
            raise forms.ValidationError(
                _("A code has exactly 6 digits, like 123456."), code="malformed"
            )
        return code


class RegisterAuthenticatorForm(forms.Form):
    label = forms.CharField(
        label=_("Name for this app or device"),
        max_length=60,
        required=False,
        help_text=_("For example: work phone. Helps you tell your devices apart."),
    )
    code = CodeField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The steps above the field (the QR code, "Can't scan the QR code?") come first in
        # reading and tab order: focusing the field would skip them.
        self.fields["code"].widget.attrs.pop("autofocus", None)


class AuthenticatorCodeForm(forms.Form):
    code = CodeField()

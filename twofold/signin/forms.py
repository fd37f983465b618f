from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from twofold.accounts.passwords import MAX_PASSWORD_LENGTH
from twofold.accounts.principal_names import (
    MAX_LENGTH,
    normalise_principal_name,
    validate_principal_name,
)


class SignInForm(forms.Form):
    username = forms.CharField(
        label=_("Account name"),
        max_length=MAX_LENGTH,
        error_messages={
            "required": _("Enter your account name, for example adele@contoso.example."),
            "max_length": _("An account name has at most %(limit_value)d characters."),
        },
        widget=forms.EmailInput(
            attrs={"autocomplete": "username", "autofocus": True, "placeholder": "name@example.org"}
        ),
    )
    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=MAX_PASSWORD_LENGTH,
        error_messages={
            "required": _("Enter your password."),
            "max_length": _("A password has at most %(limit_value)d characters."),
        },
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )

    def clean_username(self) -> str:
        value = self.cleaned_data["username"]
        validate_principal_name(value)
        return normalise_principal_name(value)

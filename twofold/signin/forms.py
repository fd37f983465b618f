from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from twofold.accounts.passwords import MAX_PASSWORD_LENGTH
from twofold.accounts.principal_names import PrincipalNameField


class SignInForm(forms.Form):
    username = PrincipalNameField(placeholder="name@example.org")
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

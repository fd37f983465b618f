from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from twofold.methods.models import RegisteredMethod


class ChangeDefaultMethodForm(forms.Form):
    method = forms.TypedChoiceField(
        label=_("Which method do you want to use to sign in?"),
        coerce=int,
        error_messages={
            "required": _("Choose a method."),
            "invalid_choice": _("Choose one of your methods from the list."),
        },
    )

    def __init__(
        self, methods: list[tuple[RegisteredMethod, str]], *args: Any, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["method"].choices = [(m.pk, text) for m, text in methods]  # type: ignore[attr-defined]
        current = next((m.pk for m, _ in methods if m.is_default), None)
        if current is not None:
            self.fields["method"].initial = current


class ConfirmPasswordForm(forms.Form):
    """Step-up for a user with no second factor yet: the password, typed again."""

    password = forms.CharField(
        label=_("Password"),
        strip=False,
        max_length=256,
        error_messages={"required": _("Enter your password.")},
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password", "autofocus": True}),
    )

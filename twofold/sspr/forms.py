from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from twofold.accounts.principal_names import PrincipalNameField
from twofold.sspr import captcha


class StartResetForm(forms.Form):
    username = PrincipalNameField()
    captcha = forms.CharField(required=False, widget=forms.HiddenInput, max_length=2000)
    sum_token = forms.CharField(required=False, widget=forms.HiddenInput, max_length=500)
    sum_answer = forms.CharField(
        label=_("Answer"),
        required=False,
        max_length=10,
        widget=forms.TextInput(attrs={"inputmode": "numeric"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        solved = captcha.proof_of_work_is_valid(data.get("captcha", "")) or captcha.sum_is_right(
            data.get("sum_token", ""), data.get("sum_answer", "")
        )
        if not solved:
            raise forms.ValidationError(
                _(
                    "We couldn't check that you're a person. Wait for the check to finish, "
                    "or answer the sum, then try again."
                ),
                code="captcha",
            )
        return data


class ContactForm(forms.Form):
    """The whole address or number, typed by the person, before anything is sent."""

    contact = forms.CharField(
        max_length=254,
        error_messages={"required": _("Fill this in to continue.")},
    )

    def __init__(self, label: str, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contact"].label = label

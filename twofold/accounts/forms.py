from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import PasswordChangeForm
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from twofold.accounts.lockout import Source
from twofold.accounts.passwords_check import Outcome, verify_password


class ChangePasswordForm(PasswordChangeForm):
    """Django's form, with the current-password check behind the sign-in lockout.

    Without it, a stolen session could guess the current password at full speed.
    """

    def __init__(self, user: Any, *args: Any, source: Source | None = None, **kwargs: Any) -> None:
        super().__init__(user, *args, **kwargs)
        self.source = source

    def clean_old_password(self) -> str:
        old_password = self.cleaned_data["old_password"]
        result = verify_password(self.user.username, old_password, self.source)
        if result.outcome in (Outcome.LOCKED, Outcome.THROTTLED):
            raise forms.ValidationError(
                ngettext(
                    "Too many wrong passwords. Try again in %(seconds)d second.",
                    "Too many wrong passwords. Try again in %(seconds)d seconds.",
                    result.retry_after_seconds,
                )
                % {"seconds": result.retry_after_seconds},
                code="locked",
            )
        if result.outcome != Outcome.ACCEPTED:
            raise forms.ValidationError(
                _("Your current password isn't right. Type it again."), code="password_incorrect"
            )
        return old_password

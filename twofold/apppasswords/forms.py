from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class CreateAppPasswordForm(forms.Form):
    name = forms.CharField(
        label=_("Name of the app or device"),
        max_length=60,
        help_text=_("For example: Outlook on my laptop. One password per device is best."),
        error_messages={
            "required": _("Give the app or device a name, so you can tell passwords apart."),
            "max_length": _("A name has at most %(limit_value)d characters."),
        },
    )

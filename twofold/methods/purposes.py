"""What a challenge is for; push notifications, audit events and the challenge engine share it."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class Purpose(models.TextChoices):
    SIGN_IN = "sign-in", _("Sign-in")
    STEP_UP = "step-up", _("Security info change")
    PASSWORD_RESET = "password-reset", _("Password reset")
    # The authenticator app's test notification, sent before a registration is saved.
    ACTIVATION_TEST = "activation-test", _("Test notification")

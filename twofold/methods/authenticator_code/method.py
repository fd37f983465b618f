from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

import segno
from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from twofold.methods.authenticator_code import otp
from twofold.methods.authenticator_code.forms import (
    AuthenticatorCodeForm,
    RegisterAuthenticatorForm,
)
from twofold.methods.base import NewMethod, SecurityMethod, VerificationFailed

if TYPE_CHECKING:
    from twofold.accounts.models import User
    from twofold.methods.models import RegisteredMethod


class AuthenticatorCodeMethod(SecurityMethod):
    key = "authenticator_code"
    name = gettext_lazy("Authenticator app")
    description = gettext_lazy(
        "Sign in with a 6-digit code from an authenticator app on your phone or computer."
    )
    strength = 60
    for_two_step = True
    amr = "otp"
    for_password_reset = True
    api_collection = "softwareOathMethods"
    api_type = "#microsoft.graph.softwareOathAuthenticationMethod"
    api_preference = "oath"
    registration_form = RegisterAuthenticatorForm
    challenge_form = AuthenticatorCodeForm
    registration_template = "methods/authenticator_code/register.html"
    challenge_template = "methods/authenticator_code/challenge.html"

    def begin_registration(self, user: User) -> dict[str, Any]:
        return {"secret": otp.new_secret()}

    def registration_context(
        self, user: User, pending: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        issuer = settings.TWOFOLD_ORGANISATION_NAME
        uri = otp.provisioning_uri(pending["secret"], user.username, issuer)
        return {
            "qr_data_uri": segno.make(uri, error="m").svg_data_uri(scale=5, border=2),
            "otpauth_uri": uri,
            "secret_grouped": otp.grouped(pending["secret"]),
            "account_name": user.username,
            "issuer": issuer,
        }

    def finish_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> NewMethod:
        step = otp.matching_step(pending["secret"], cleaned_data["code"], now.timestamp(), -1)
        if step is None:
            raise VerificationFailed(_wrong_code_message())
        label = cleaned_data.get("label") or ""
        return NewMethod(label=label.strip(), data={"secret": pending["secret"]}, counter=step)

    def verify(
        self,
        method: RegisteredMethod,
        cleaned_data: dict[str, Any],
        now: dt.datetime,
        state: dict[str, Any],
    ) -> None:
        secret = method.data["secret"]
        step = otp.matching_step(secret, cleaned_data["code"], now.timestamp(), method.counter)
        if step is None:
            raise VerificationFailed(_wrong_code_message())
        method.counter = step

    def describe(self, method: RegisteredMethod) -> str:
        return method.label or _("Other authenticator app")


def _wrong_code_message() -> str:
    return _(
        "That code didn't work. Codes change every 30 seconds and each works once: "
        "wait for a new one and check your device's clock."
    )

"""The Twofold Authenticator: notifications with number matching, and codes when offline.

Registration activates the app (QR code, or code + URL), then a test notification must be
approved before anything is saved. The same registration gives the app a verification-code
secret, so the challenge page also takes a code from the app.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlencode, urlsplit

import segno
from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from twofold.accounts.sessions import SESSION_NEXT
from twofold.core import clock, ratelimit
from twofold.core.network import client_ip, user_agent
from twofold.core.ratelimit import Limit, LimitReached
from twofold.fraud.services import blocked_message, has_open_fraud_alert
from twofold.methods.authenticator_app import KEY
from twofold.methods.authenticator_app.browsers import describe_browser
from twofold.methods.authenticator_app.forms import (
    CHECK_ACTIVATION,
    FINISH,
    START_OVER,
    AuthenticatorAppAnswerForm,
    RegisterAuthenticatorAppForm,
)
from twofold.methods.authenticator_code import otp
from twofold.methods.authenticator_code.method import AuthenticatorCodeMethod
from twofold.methods.base import (
    ChallengeRefused,
    NewMethod,
    NotAnsweredYet,
    SecurityMethod,
    VerificationFailed,
)
from twofold.methods.purposes import Purpose
from twofold.policy.snapshot import method_options
from twofold.push import services as push
from twofold.push.models import PushActivation, PushChallenge

if TYPE_CHECKING:
    from twofold.accounts.models import User
    from twofold.methods.models import RegisteredMethod

Status = PushChallenge.Status


class AuthenticatorAppMethod(SecurityMethod):
    key = KEY
    name = gettext_lazy("Twofold Authenticator")
    description = gettext_lazy(
        "Approve sign-ins with a notification in the Twofold Authenticator app, "
        "or type the code it shows when you're offline."
    )
    # Above plain codes: the answer is signed by a key that never leaves the device, and
    # number matching ties it to the screen the user is looking at.
    strength = 70
    for_two_step = True
    # A signature by a key kept in the app (RFC 8176 "swk").
    amr = "swk"
    for_password_reset = True
    api_collection = "microsoftAuthenticatorMethods"
    api_type = "#microsoft.graph.microsoftAuthenticatorAuthenticationMethod"
    api_preference = "push"
    registration_form = RegisterAuthenticatorAppForm
    challenge_form = AuthenticatorAppAnswerForm
    # "I want to use a different authenticator app": any RFC 6238 app, with the code method.
    fallback_key = AuthenticatorCodeMethod.key
    registration_template = "methods/authenticator_app/register.html"
    challenge_template = "methods/authenticator_app/challenge.html"

    # --- Registration -------------------------------------------------------------------

    def begin_registration(self, user: User) -> dict[str, Any]:
        secret = otp.new_secret()
        ticket = push.start_activation(user, secret)
        return {
            "activation_id": ticket.activation_id,
            "code": ticket.code,
            "wait_token": ticket.wait_token,
            "totp_secret": secret,
        }

    def registration_context(
        self, user: User, pending: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        if pending.get("code_step"):
            return {
                "push_step": "code",
                "action": FINISH,
                "device_name": pending.get("device_name", ""),
            }
        if "challenge_id" in pending:
            status = push.outcome(pending["challenge_id"], user, clock.now())
            return {
                "push_step": "test",
                "action": FINISH,
                "number": pending["number"],
                "device_name": pending.get("device_name", ""),
                "wait_url": reverse("push_wait_answer", args=[pending["challenge_wait_token"]]),
                "answer_message": _test_answer_message(status),
            }
        activation = push.activation_of(pending["activation_id"], user)
        now = clock.now()
        activated = activation is not None and activation.activated_at is not None
        expired = activation is None or (not activated and push.activation_expired(activation, now))
        url = request.build_absolute_uri(reverse("push_activate_device"))
        link = "twofold://activate?" + urlencode({"code": pending["code"], "url": url})
        return {
            "push_step": "scan",
            "action": START_OVER if expired else CHECK_ACTIVATION,
            "expired": expired,
            "activated": activated,
            "qr_data_uri": segno.make(link, error="m").svg_data_uri(scale=4, border=2),
            "activation_code": push.grouped_code(pending["code"]),
            "activation_url": url,
            "wait_url": reverse("push_wait_answer", args=[pending["wait_token"]]),
        }

    def advance_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> dict[str, Any] | None:
        action = cleaned_data["action"]
        if action == FINISH:
            return None
        if action == START_OVER:
            return self.begin_registration(user)
        activation = push.activation_of(pending["activation_id"], user)
        if activation is None or activation.activated_at is None:
            if activation is None or push.activation_expired(activation, now):
                raise VerificationFailed(
                    _("This activation code has expired. Select Start over for a new one.")
                )
            raise VerificationFailed(
                _(
                    "The app hasn't been added yet. Scan the QR code with Twofold Authenticator "
                    "(or enter the code and URL), then continue."
                )
            )
        if not notifications_on():
            # Codes only: the app proves it holds the secret with a code instead.
            return pending | {"code_step": True, "device_name": activation.device_name}
        details = push.NotificationDetails(
            purpose=PushChallenge.Purpose.ACTIVATION_TEST,
            app_name=settings.TWOFOLD_ORGANISATION_NAME,
        )
        try:
            ticket = push.send_notification(user, activation.device_id, details)
        except push.PushRefused as refused:
            raise VerificationFailed(refused.message) from None
        return pending | {
            "challenge_id": ticket.challenge_id,
            "number": ticket.number,
            "challenge_wait_token": ticket.wait_token,
            "device_name": activation.device_name,
        }

    def finish_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> NewMethod:
        if pending.get("code_step"):
            return self._finish_with_code(user, pending, cleaned_data, now)
        challenge_id = pending.get("challenge_id")
        if not challenge_id:
            raise NotAnsweredYet(_("First add the account in the app, then continue."))
        status = push.outcome(challenge_id, user, now)
        if status in (Status.DENIED, Status.WRONG_NUMBER, Status.FRAUD_REPORTED):
            raise VerificationFailed(_test_answer_message(status))
        if status != Status.APPROVED:
            raise NotAnsweredYet(
                _test_answer_message(status)
                or _("Approve the notification in the app, then continue.")
            )
        activation = push.activation_of(pending["activation_id"], user)
        if activation is None or not push.consume_approval(
            challenge_id, user, activation.device_id
        ):
            raise VerificationFailed(_("This approval was already used. Select Send again."))
        return _finished(activation, pending)

    def _finish_with_code(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> NewMethod:
        code = cleaned_data.get("code") or ""
        if not code:
            raise NotAnsweredYet(_("Enter the 6-digit code shown in the app."))
        step = otp.matching_step(pending["totp_secret"], code, now.timestamp(), -1)
        if step is None:
            raise VerificationFailed(_wrong_code_message())
        activation = push.activation_of(pending["activation_id"], user)
        if activation is None or activation.activated_at is None:
            raise VerificationFailed(_("This activation has expired. Start over."))
        return _finished(activation, pending, counter=step)

    # --- Challenges -----------------------------------------------------------------------

    def begin_challenge(
        self, method: RegisteredMethod, request: HttpRequest, purpose: Purpose = Purpose.SIGN_IN
    ) -> dict[str, Any]:
        if not notifications_on():
            return {"codes_only": True}
        if has_open_fraud_alert(method.user):
            raise ChallengeRefused(blocked_message(), blocked=True)
        try:
            if purpose == Purpose.PASSWORD_RESET:
                # Paused first: a request the pause refuses must not count for the hour.
                push.refuse_when_paused(method.user)
                _count_reset_notification(f"user:{method.user_id}")
            ticket = push.send_notification(
                method.user, method.data["device_id"], _notification_details(request, purpose)
            )
        except push.PushRefused as refused:
            raise ChallengeRefused(refused.message, blocked=refused.error == "blocked") from None
        return {
            "challenge_id": ticket.challenge_id,
            "number": ticket.number,
            "wait_token": ticket.wait_token,
            "expires": ticket.expires,
        }

    def challenge_still_open(self, state: dict[str, Any], now: dt.datetime) -> bool:
        # A reload shows the same notification: sending again would only tire the user.
        return "challenge_id" in state and now.timestamp() < float(state["expires"])

    def quiet_challenge_state(self) -> dict[str, Any] | None:
        # Before a first reset check the person is only a name someone typed: a notification
        # would wake the owner's phone (and tire it into a fatigue pause). Codes only, as in
        # Entra's one-method reset; notifications once a first check is passed.
        return {"codes_only": True}

    def page_verify_button(self, context: dict[str, Any]) -> bool:
        # A notification's page keeps its Verify inside the folded code block.
        return bool(context.get("codes_only", False))

    def challenge_context(
        self, method: RegisteredMethod, state: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        if "challenge_id" not in state:
            return {"codes_only": state.get("codes_only", False)}
        status = push.outcome(state["challenge_id"], method.user, clock.now())
        return {
            "number": state["number"],
            "wait_url": reverse("push_wait_answer", args=[state["wait_token"]]),
            "answer_message": _challenge_answer_message(status),
            # A fraud report blocks the second step: nothing on this page could work.
            "blocked": status == Status.FRAUD_REPORTED,
        }

    def verify(
        self,
        method: RegisteredMethod,
        cleaned_data: dict[str, Any],
        now: dt.datetime,
        state: dict[str, Any],
    ) -> None:
        data = method.data
        code = cleaned_data.get("code")
        if code:
            step = otp.matching_step(data["totp_secret"], code, now.timestamp(), method.counter)
            if step is None:
                raise VerificationFailed(_wrong_code_message())
            method.counter = step
            return
        challenge_id = state.get("challenge_id")
        if not challenge_id:
            raise NotAnsweredYet(
                _("Enter the code shown in the app.")
                if state.get("codes_only")
                else _("Select Send another notification, or enter the code shown in the app.")
            )
        status = push.outcome(challenge_id, method.user, now)
        if status == Status.APPROVED:
            if not push.consume_approval(challenge_id, method.user, data["device_id"]):
                raise VerificationFailed(_("This approval was already used."))
            return
        message = _challenge_answer_message(status)
        if status in (Status.DENIED, Status.WRONG_NUMBER, Status.FRAUD_REPORTED, Status.CONSUMED):
            # Counted like a wrong code: someone may be trying their luck.
            raise VerificationFailed(message)
        raise NotAnsweredYet(
            message or _("We haven't had your answer yet. Approve the notification in the app.")
        )

    def look_alike_state(self, seed: bytes, contact: str = "") -> dict[str, Any]:
        if not notifications_on():
            return {"codes_only": True}
        # A new number and token each time, like real notifications (so not derived from the
        # seed), stored, expiring and replaced like them: the page and its long poll look the same.
        # The same hourly count as a real account's, keyed by the name the seed stands for,
        # and the same fatigue pause (see send_decoy).
        try:
            push.refuse_when_paused(None, seed)
            _count_reset_notification(f"decoy:{seed.hex()}")
            ticket = push.send_decoy(seed, push.NotificationDetails(Purpose.PASSWORD_RESET))
        except push.PushRefused as refused:
            raise ChallengeRefused(refused.message) from None
        return {
            "challenge_id": ticket.challenge_id,
            "number": ticket.number,
            "wait_token": ticket.wait_token,
            "expires": ticket.expires,
        }

    def look_alike_context(self, state: dict[str, Any]) -> dict[str, Any]:
        if "wait_token" not in state:
            return {"error": "", "codes_only": True}
        return {
            "number": state["number"],
            "wait_url": reverse("push_wait_answer", args=[state["wait_token"]]),
            "answer_message": _challenge_answer_message(
                "expired"
                if clock.now().timestamp() >= float(state.get("expires", 0))
                else Status.PENDING
            ),
        }

    def look_alike_verify(
        self, cleaned_data: dict[str, Any], now: dt.datetime, state: dict[str, Any]
    ) -> None:
        # As verify(): a typed code is a wrong guess; no code waits for an answer.
        if cleaned_data.get("code"):
            raise VerificationFailed(_wrong_code_message())
        raise NotAnsweredYet(
            _("We haven't had your answer yet. Approve the notification in the app.")
        )

    def describe(self, method: RegisteredMethod) -> str:
        return method.label or _("Twofold Authenticator")


def notifications_on() -> bool:
    """The policy option ``notifications``: off makes the app a code generator only."""
    return method_options(KEY).get("notifications", True) is not False


def _finished(activation: PushActivation, pending: dict[str, Any], counter: int = 0) -> NewMethod:
    push.finish_activation(activation)
    return NewMethod(
        label=activation.device_name,
        data={
            "device_id": activation.device_id,
            "public_key": activation.public_key,
            "key_type": activation.key_type,
            "totp_secret": pending["totp_secret"],
        },
        counter=counter,
        lookup_key=activation.device_id,
    )


# MFA fatigue and enumeration at the unauthenticated reset portal: at most this many
# notifications (real or decoy) per account an hour, counted in the database.
RESET_NOTIFICATIONS_PER_HOUR = 3


def _count_reset_notification(identity: str) -> None:
    try:
        ratelimit.take(Limit("reset-push", identity, 3600, RESET_NOTIFICATIONS_PER_HOUR))
    except LimitReached as reached:
        # Counted in the database, so retry_at is the real end of the hour, the same for a
        # real account and a made-up one.
        when = (
            push.next_notification_message(reached.retry_at)
            if reached.retry_at is not None
            else _("Use another way to verify.")
        )
        raise ChallengeRefused(
            _("Several notifications were sent for password resets.") + " " + when
        ) from None


def _notification_details(request: HttpRequest, purpose: Purpose) -> push.NotificationDetails:
    options = method_options(KEY)
    show_location = options.get("show_location", True)
    header = settings.TWOFOLD_PUSH_LOCATION_HEADER
    return push.NotificationDetails(
        purpose=purpose,
        app_name=_requesting_app(request) if options.get("show_app_name", True) else "",
        ip_address=client_ip(request) if show_location else None,
        location=(request.headers.get(header, "") if header and show_location else ""),
        browser=describe_browser(user_agent(request)),
        require_pin=bool(options.get("require_pin", False)),
    )


def _requesting_app(request: HttpRequest) -> str:
    """The app the user is signing in to: an OpenID Connect client's name, else Twofold."""
    next_url = request.session.get(SESSION_NEXT, "") if hasattr(request, "session") else ""
    client_ids = parse_qs(urlsplit(next_url).query).get("client_id") if next_url else None
    if client_ids:
        from oauth2_provider.models import get_application_model

        name = (
            get_application_model()
            .objects.filter(client_id=client_ids[0])
            .values_list("name", flat=True)
            .first()
        )
        if name:
            return str(name)
    return settings.TWOFOLD_ORGANISATION_NAME


def _wrong_code_message() -> str:
    return _("That code didn't work. Use the current code shown in the app.")


def _test_answer_message(status: str) -> str:
    if status == Status.PENDING:
        return ""
    if status == "expired":
        return _("The notification expired. Select Send again.")
    if status in (Status.DENIED, Status.FRAUD_REPORTED):
        return _("The notification was denied in the app. Select Send again to try once more.")
    if status == Status.WRONG_NUMBER:
        return _("The number typed in the app didn't match. Select Send again.")
    if status == Status.REPLACED:
        return _("A newer notification replaced this one. Select Send again.")
    return ""


def _challenge_answer_message(status: str) -> str:
    if status in (Status.PENDING, Status.APPROVED):
        return ""
    if status == "expired":
        return _("The notification expired. Send another notification.")
    if status == Status.DENIED:
        return _("The sign-in request was denied in the app.")
    if status == Status.WRONG_NUMBER:
        return _(
            "The number typed in the app didn't match the one shown here. "
            "Send another notification and type the new number."
        )
    if status == Status.FRAUD_REPORTED:
        return blocked_message()
    if status == Status.REPLACED:
        return _("A newer notification replaced this one. Send another notification.")
    if status == Status.CONSUMED:
        return _("This approval was already used. Send another notification.")
    return _("This notification can't be used. Send another notification.")

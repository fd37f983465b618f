"""Security keys (FIDO2/WebAuthn): phishing-resistant, the strongest method."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from webauthn.helpers import bytes_to_base64url

from twofold.methods.base import NewMethod, SecurityMethod, VerificationFailed
from twofold.methods.purposes import Purpose
from twofold.methods.security_key import ceremony
from twofold.methods.security_key.forms import RegisterSecurityKeyForm, UseSecurityKeyForm
from twofold.policy.snapshot import method_options

if TYPE_CHECKING:
    from twofold.accounts.models import User
    from twofold.methods.models import RegisteredMethod

logger = logging.getLogger(__name__)


def _relying_party() -> tuple[str, list[str]]:
    return settings.TWOFOLD_WEBAUTHN_RP_ID, list(settings.TWOFOLD_WEBAUTHN_ORIGINS)


def _credential_ids(user: User) -> list[str]:
    from twofold.methods.models import RegisteredMethod

    return [
        registered.data["credential_id"]
        for registered in RegisteredMethod.objects.filter(user=user, kind="security_key")
    ]


def _registered_anywhere(credential_id: str) -> bool:
    from twofold.methods.models import RegisteredMethod

    digest = ceremony.credential_digest(credential_id)
    return RegisteredMethod.objects.filter(kind="security_key", lookup_key=digest).exists()


class SecurityKeyMethod(SecurityMethod):
    key = "security_key"
    name = gettext_lazy("Security key")
    description = gettext_lazy(
        "Sign in with a FIDO2 security key or a passkey, unlocked with its PIN or your fingerprint."
    )
    strength = 80
    for_two_step = True
    amr = "hwk"
    for_password_reset = True
    api_collection = "fido2Methods"
    api_type = "#microsoft.graph.fido2AuthenticationMethod"
    api_preference = "fido2"
    registration_form = RegisterSecurityKeyForm
    challenge_form = UseSecurityKeyForm
    registration_template = "methods/security_key/register.html"
    challenge_template = "methods/security_key/challenge.html"

    def begin_registration(self, user: User) -> dict[str, Any]:
        return {"challenge": ceremony.new_challenge()}

    def registration_context(
        self, user: User, pending: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        rp_id, _origins = _relying_party()
        options = ceremony.registration_options(
            rp_id=rp_id,
            rp_name=settings.TWOFOLD_ORGANISATION_NAME,
            user_pk=user.pk,
            user_name=user.username,
            display_name=user.name_to_show,
            challenge=pending["challenge"],
            exclude=_credential_ids(user),
            want_attestation=bool(_allowed_aaguids()),
        )
        return {"webauthn_options": options, "webauthn_mode": "create"}

    def finish_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> NewMethod:
        rp_id, origins = _relying_party()
        try:
            new = ceremony.verify_new_credential(
                cleaned_data["credential"],
                challenge=pending["challenge"],
                rp_id=rp_id,
                origins=origins,
            )
        except ceremony.CeremonyError as error:
            logger.info("security key registration refused: %s", error)
            raise VerificationFailed(_ceremony_message(str(error))) from None
        # One key is one factor, for one account: never counted twice, never shared.
        if _registered_anywhere(new.credential_id):
            raise VerificationFailed(_("This security key is already registered."))
        allowed = _allowed_aaguids()
        if allowed and new.aaguid not in allowed:
            raise VerificationFailed(
                _("Your organisation doesn't allow this model of security key. Use another key.")
            )
        return NewMethod(
            label=cleaned_data["name"].strip(),
            data={
                "credential_id": new.credential_id,
                "public_key": new.public_key,
                "aaguid": new.aaguid,
                "attestation_format": new.attestation_format,
            },
            counter=new.sign_count,
            lookup_key=ceremony.credential_digest(new.credential_id),
        )

    def begin_challenge(
        self, method: RegisteredMethod, request: HttpRequest, purpose: Purpose = Purpose.SIGN_IN
    ) -> dict[str, Any]:
        return {"challenge": ceremony.new_challenge()}

    def page_verify_button(self, context: dict[str, Any]) -> bool:
        # The key's own button signs and submits the page.
        return False

    def challenge_context(
        self, method: RegisteredMethod, state: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        if "challenge" not in state:
            return {}
        rp_id, _origins = _relying_party()
        options = ceremony.authentication_options(
            rp_id=rp_id, challenge=state["challenge"], credential_ids=[method.data["credential_id"]]
        )
        return {"webauthn_options": options, "webauthn_mode": "get"}

    def look_alike_state(self, seed: bytes, contact: str = "") -> dict[str, Any]:
        # A made-up credential id, stable per name: the page looks as if a key were registered.
        fake = bytes_to_base64url(hashlib.sha256(b"webauthn-look-alike:" + seed).digest())
        return {"challenge": ceremony.new_challenge(), "fake_credential": fake}

    def look_alike_context(self, state: dict[str, Any]) -> dict[str, Any]:
        rp_id, _origins = _relying_party()
        options = ceremony.authentication_options(
            rp_id=rp_id, challenge=state["challenge"], credential_ids=[state["fake_credential"]]
        )
        return {"webauthn_options": options, "webauthn_mode": "get"}

    def verify(
        self,
        method: RegisteredMethod,
        cleaned_data: dict[str, Any],
        now: dt.datetime,
        state: dict[str, Any],
    ) -> None:
        challenge = state.get("challenge")
        data = method.data
        # A challenge answers once: a copied assertion can't be played again.
        if not challenge or challenge == data.get("last_challenge"):
            raise VerificationFailed(_("Start again: select the button to use your security key."))
        rp_id, origins = _relying_party()
        try:
            new_count = ceremony.verify_assertion(
                cleaned_data["credential"],
                challenge=challenge,
                rp_id=rp_id,
                origins=origins,
                public_key=data["public_key"],
                sign_count=method.counter,
            )
        except ceremony.CeremonyError as error:
            logger.info("security key assertion refused: %s", error)
            raise VerificationFailed(_ceremony_message(str(error))) from None
        # WebAuthn §6.1.1: a count that doesn't grow means two devices hold this key.
        if (new_count or method.counter) and new_count <= method.counter:
            _flag_counter_regression(method)
            raise VerificationFailed(
                _(
                    "This security key answered like a copy of itself. "
                    "Contact your administrator before you use it again."
                )
            )
        method.counter = new_count
        method.data = {**data, "last_challenge": challenge}

    def describe(self, method: RegisteredMethod) -> str:
        return method.label


def _allowed_aaguids() -> list[str]:
    return [
        str(value).lower() for value in method_options("security_key").get("allowed_aaguids") or []
    ]


def _flag_counter_regression(method: RegisteredMethod) -> None:
    from twofold.audit.models import AuditEvent
    from twofold.audit.services import record_event

    # A sign count that goes back means two authenticators hold the same key: a clone.
    record_event(
        AuditEvent.Kind.SECURITY_KEY_COUNTER_REGRESSED,
        user=method.user,
        method_id=method.pk,
        stored_count=method.counter,
    )


def _ceremony_message(detail: str) -> str:
    lowered = detail.lower()
    if "origin" in lowered or "rp id" in lowered:
        return _("This page's address doesn't match your organisation's security key settings.")
    return _("The security key couldn't be verified. Try again, or use another method.")

"""WebAuthn ceremonies (W3C Web Authentication Level 2) through py_webauthn."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from django.conf import settings
from webauthn import (
    generate_authentication_options,
    generate_registration_options,
    options_to_json,
    verify_authentication_response,
    verify_registration_response,
)
from webauthn.helpers import base64url_to_bytes, bytes_to_base64url
from webauthn.helpers.exceptions import (
    InvalidAuthenticationResponse,
    InvalidJSONStructure,
    InvalidRegistrationResponse,
)
from webauthn.helpers.structs import (
    AttestationConveyancePreference,
    AuthenticatorSelectionCriteria,
    PublicKeyCredentialDescriptor,
    ResidentKeyRequirement,
    UserVerificationRequirement,
)

CeremonyError = (
    InvalidAuthenticationResponse,
    InvalidRegistrationResponse,
    InvalidJSONStructure,
    ValueError,
    KeyError,
    TypeError,
)


def new_challenge() -> str:
    return bytes_to_base64url(secrets.token_bytes(32))


def registration_options(
    *, rp_id: str, rp_name: str, user_pk: int, user_name: str, display_name: str,
    challenge: str, exclude: list[str], want_attestation: bool = False,
) -> str:  # fmt: skip
    options = generate_registration_options(
        rp_id=rp_id,
        rp_name=rp_name,
        # A stable, opaque handle (keyed, so it can't be worked out from the account id):
        # never the account name, which a key may show to others.
        user_id=hmac.new(
            settings.SECRET_KEY.encode(), f"webauthn-user:{user_pk}".encode(), hashlib.sha256
        ).digest(),
        user_name=user_name,
        user_display_name=display_name,
        challenge=base64url_to_bytes(challenge),
        timeout=120_000,
        # Attestation (the key's model) only when policy checks models: it costs a prompt.
        attestation=AttestationConveyancePreference.DIRECT
        if want_attestation
        else AttestationConveyancePreference.NONE,
        authenticator_selection=AuthenticatorSelectionCriteria(
            resident_key=ResidentKeyRequirement.PREFERRED,
            user_verification=UserVerificationRequirement.REQUIRED,
        ),
        # The same key registered twice would be one factor counted as two.
        exclude_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential))
            for credential in exclude
        ],
    )
    return options_to_json(options)


@dataclass(frozen=True)
class NewCredential:
    credential_id: str
    public_key: str
    sign_count: int
    aaguid: str
    attestation_format: str


def verify_new_credential(
    credential_json: str, *, challenge: str, rp_id: str, origins: list[str]
) -> NewCredential:
    verified = verify_registration_response(
        credential=credential_json,
        expected_challenge=base64url_to_bytes(challenge),
        expected_rp_id=rp_id,
        expected_origin=origins,
        require_user_verification=True,
    )
    return NewCredential(
        credential_id=bytes_to_base64url(verified.credential_id),
        public_key=bytes_to_base64url(verified.credential_public_key),
        sign_count=verified.sign_count,
        aaguid=str(verified.aaguid),
        attestation_format=str(getattr(verified.fmt, "value", verified.fmt)),
    )


def authentication_options(*, rp_id: str, challenge: str, credential_ids: list[str]) -> str:
    options = generate_authentication_options(
        rp_id=rp_id,
        challenge=base64url_to_bytes(challenge),
        timeout=120_000,
        allow_credentials=[
            PublicKeyCredentialDescriptor(id=base64url_to_bytes(credential))
            for credential in credential_ids
        ],
        user_verification=UserVerificationRequirement.REQUIRED,
    )
    return options_to_json(options)


def verify_assertion(
    credential_json: str,
    *,
    challenge: str,
    rp_id: str,
    origins: list[str],
    public_key: str,
    sign_count: int,
) -> int:
    """Returns the authenticator's new sign count (the caller compares it with the stored one)."""
    verified = verify_authentication_response(
        credential=credential_json,
        expected_challenge=base64url_to_bytes(challenge),
        expected_rp_id=rp_id,
        expected_origin=origins,
        credential_public_key=base64url_to_bytes(public_key),
        # 0: the library would judge the count before the signature, so a forged answer
        # could raise the clone alarm. The caller compares counts once the signature holds.
        credential_current_sign_count=0,
        require_user_verification=True,
    )
    return verified.new_sign_count


def credential_digest(credential_id: str) -> str:
    """The indexed lookup for a credential id, which may be longer than a column allows."""
    return hashlib.sha256(credential_id.encode()).hexdigest()

"""Device keys and the messages they sign (authenticator/PROTOCOL.md).

Every signed message starts with its own name, so a signature made for one kind of message
(a poll) can never be passed off as another (an approval).
"""

from __future__ import annotations

import base64
import binascii

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_der_public_key

ED25519 = "ed25519"
P256 = "p256"

DevicePublicKey = ed25519.Ed25519PublicKey | ec.EllipticCurvePublicKey


class BadKey(ValueError):
    pass


def b64u_decode(value: str) -> bytes:
    try:
        return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))
    except (binascii.Error, ValueError) as error:
        raise BadKey("not base64url") from error


def b64u_encode(value: bytes) -> str:
    return base64.urlsafe_b64encode(value).rstrip(b"=").decode()


def load_public_key(encoded: str) -> tuple[DevicePublicKey, str]:
    """A device's public key from b64u DER SubjectPublicKeyInfo; only Ed25519 and P-256."""
    if not isinstance(encoded, str) or len(encoded) > 200:
        raise BadKey("public key missing or too long")
    try:
        key = load_der_public_key(b64u_decode(encoded))
    except ValueError as error:
        raise BadKey("not a DER public key") from error
    if isinstance(key, ed25519.Ed25519PublicKey):
        return key, ED25519
    if isinstance(key, ec.EllipticCurvePublicKey) and isinstance(key.curve, ec.SECP256R1):
        return key, P256
    raise BadKey("only Ed25519 and P-256 keys are accepted")


def verify(encoded_key: str, message: bytes, signature: str) -> bool:
    """Whether ``signature`` (b64u) is the device key's signature of ``message``."""
    try:
        key, _ = load_public_key(encoded_key)
        raw = b64u_decode(signature) if isinstance(signature, str) else b""
    except BadKey:
        return False
    if not raw or len(raw) > 200:
        return False
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(raw, message)
        else:
            key.verify(raw, message, ec.ECDSA(hashes.SHA256()))
    except InvalidSignature:
        return False
    return True


def _message(*fields: str) -> bytes:
    return "\n".join(fields).encode()


def activation_message(code: str) -> bytes:
    return _message("twofold-activate", code)


def poll_message(device_id: str, timestamp: str) -> bytes:
    return _message("twofold-poll", device_id, timestamp)


def response_message(
    challenge_id: str,
    nonce: str,
    decision: str,
    number: str,
    report_fraud: bool,
    user_verified: bool,
) -> bytes:
    return _message(
        "twofold-response",
        challenge_id,
        nonce,
        decision,
        number,
        "fraud" if report_fraud else "",
        "uv" if user_verified else "",
    )

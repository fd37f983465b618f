"""Device key pairs: one per activated account (PROTOCOL.md, "Keys and signatures")."""

from __future__ import annotations

import base64
from typing import Literal

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

KeyType = Literal["ed25519", "p256"]
KEY_TYPES: tuple[KeyType, ...] = ("ed25519", "p256")
PrivateKey = ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey


class KeyProblem(Exception):
    pass


class PinNeeded(KeyProblem):
    pass


class WrongPin(KeyProblem):
    pass


class BadKey(KeyProblem):
    pass


def b64u(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def generate(key_type: KeyType = "ed25519") -> PrivateKey:
    if key_type == "ed25519":
        return ed25519.Ed25519PrivateKey.generate()
    if key_type == "p256":
        return ec.generate_private_key(ec.SECP256R1())
    raise ValueError(f"unknown key type {key_type!r}")


def key_type_of(key: PrivateKey) -> KeyType:
    return "ed25519" if isinstance(key, ed25519.Ed25519PrivateKey) else "p256"


def public_key_b64u(key: PrivateKey) -> str:
    """The public key as the server wants it: b64u of DER SubjectPublicKeyInfo."""
    der = key.public_key().public_bytes(
        serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    return b64u(der)


def sign(key: PrivateKey, message: bytes) -> bytes:
    """Ed25519: the raw 64 bytes; P-256: ECDSA with SHA-256, DER-encoded."""
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key.sign(message)
    return key.sign(message, ec.ECDSA(hashes.SHA256()))


def to_pem(key: PrivateKey, pin: str | None = None) -> str:
    """PKCS8 PEM, encrypted with the PIN when there is one."""
    encryption: serialization.KeySerializationEncryption = (
        serialization.BestAvailableEncryption(pin.encode()) if pin else serialization.NoEncryption()
    )
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, encryption
    ).decode("ascii")


def is_encrypted(pem: str) -> bool:
    return "BEGIN ENCRYPTED PRIVATE KEY" in pem


def load_pem(pem: str, pin: str | None = None) -> PrivateKey:
    """The private key; raises PinNeeded or WrongPin for a PIN-protected key."""
    encrypted = is_encrypted(pem)
    if encrypted and not pin:
        raise PinNeeded("this account's key is protected by a PIN")
    try:
        key = serialization.load_pem_private_key(
            pem.encode("ascii"), pin.encode() if encrypted and pin else None
        )
    except ValueError as error:
        if encrypted:
            raise WrongPin("wrong PIN") from error
        raise BadKey("the stored private key cannot be read") from error
    if isinstance(key, ed25519.Ed25519PrivateKey):
        return key
    if isinstance(key, ec.EllipticCurvePrivateKey) and isinstance(key.curve, ec.SECP256R1):
        return key
    raise BadKey("the stored private key is neither Ed25519 nor P-256")

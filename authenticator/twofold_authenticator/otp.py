"""Verification codes (RFC 6238) for stored accounts."""

from __future__ import annotations

import hashlib
from collections.abc import Callable

import pyotp

DIGESTS: dict[str, Callable[..., object]] = {
    "SHA1": hashlib.sha1,
    "SHA256": hashlib.sha256,
    "SHA512": hashlib.sha512,
}


def make_totp(
    secret: str, digits: int = 6, period: int = 30, algorithm: str = "SHA1"
) -> pyotp.TOTP:
    digest = DIGESTS.get(algorithm.upper())
    if digest is None:
        raise ValueError(f"unsupported TOTP algorithm {algorithm!r}")
    return pyotp.TOTP(secret, digits=digits, digest=digest, interval=period)


def code_at(totp: pyotp.TOTP, unix_time: float) -> tuple[str, int]:
    """The code for ``unix_time`` and how many whole seconds it stays valid."""
    period = int(totp.interval)
    return totp.at(int(unix_time)), period - int(unix_time) % period

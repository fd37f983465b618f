"""Time-based one-time passwords (RFC 6238, on HOTP of RFC 4226), via pyotp."""

from __future__ import annotations

import hmac
import re

import pyotp

STEP_SECONDS = 30
DIGITS = 6
# RFC 6238 §5.2: accept one step either side for clock drift and typing time.
DRIFT_STEPS = 1
_CODE = re.compile(r"^\d{6}$")


def new_secret() -> str:
    """160 random bits, base32 (RFC 4226 §4 recommends at least 128, SHA-1's block is 160)."""
    return pyotp.random_base32(length=32)


def time_step(unix_time: float) -> int:
    return int(unix_time // STEP_SECONDS)


def normalise_code(raw: str) -> str:
    """People type codes with spaces ("123 456"); apps show them that way."""
    return re.sub(r"[\s-]", "", raw)


def is_well_formed(code: str) -> bool:
    return bool(_CODE.match(code))


def matching_step(secret: str, code: str, unix_time: float, last_used_step: int) -> int | None:
    """The time step whose code equals ``code``, or None.

    Steps at or before ``last_used_step`` never match: a code is accepted once,
    so one seen over a shoulder or phished cannot be replayed (RFC 6238 §5.2).
    """
    if not is_well_formed(code):
        return None
    totp = pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS)
    current = time_step(unix_time)
    matched = None
    for step in range(current - DRIFT_STEPS, current + DRIFT_STEPS + 1):
        # Compare every candidate in constant time, without stopping early.
        expected = totp.generate_otp(step)
        if hmac.compare_digest(expected.encode(), code.encode()) and step > last_used_step:
            matched = step
    return matched


def provisioning_uri(secret: str, account_name: str, issuer: str) -> str:
    """The otpauth:// URI an authenticator app reads from the QR code (Key Uri Format)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(
        name=account_name, issuer_name=issuer
    )


def grouped(secret: str) -> str:
    """The secret in groups of four, easier to type by hand."""
    return " ".join(secret[i : i + 4] for i in range(0, len(secret), 4))

"""One-time codes sent by text or email: random, short-lived, checked in constant time."""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.conf import settings

DIGITS = 6


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def code_hash(code: str) -> str:
    # Keyed, so a copied session state doesn't give the code away by brute force offline.
    key = hashlib.sha256(settings.SECRET_KEY.encode() + b"sent-code").digest()
    return hmac.new(key, code.encode(), "sha256").hexdigest()


def code_matches(code: str, expected_hash: str) -> bool:
    return hmac.compare_digest(code_hash(code), expected_hash)

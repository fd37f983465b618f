"""Secrets at rest: Fernet (AES-128-CBC + HMAC-SHA256) with rotatable keys (MultiFernet)."""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

__all__ = ["InvalidToken", "decrypt_json", "encrypt_json", "rotate"]


@lru_cache(maxsize=4)
def _multi_fernet(keys: tuple[str, ...]) -> MultiFernet:
    fernets = []
    for position, key in enumerate(keys, start=1):
        try:
            fernets.append(Fernet(key.encode()))
        except (ValueError, TypeError):
            raise ImproperlyConfigured(
                f"Encryption key number {position} in TWOFOLD_ENCRYPTION_KEYS is not a Fernet key "
                "(32 url-safe base64-encoded bytes)."
            ) from None
    if not fernets:
        raise ImproperlyConfigured("TWOFOLD_ENCRYPTION_KEYS is empty.")
    return MultiFernet(fernets)


def _fernet() -> MultiFernet:
    return _multi_fernet(tuple(settings.TWOFOLD_ENCRYPTION_KEYS))


def encrypt_json(data: dict[str, Any]) -> str:
    return _fernet().encrypt(json.dumps(data, separators=(",", ":")).encode()).decode()


def decrypt_json(token: str) -> dict[str, Any]:
    """Raises InvalidToken when no configured key opens the token (or it was tampered with)."""
    value = json.loads(_fernet().decrypt(token.encode()))
    if not isinstance(value, dict):
        raise InvalidToken
    return value


def rotate(token: str) -> str:
    """Re-encrypt with the first (newest) key."""
    return _fernet().rotate(token.encode()).decode()

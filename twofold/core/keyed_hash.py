"""Keyed digests of secrets we must recognise but never keep (app passwords, API tokens)."""

from __future__ import annotations

import hashlib
import hmac

from django.conf import settings


def keyed_digest(purpose: bytes, secret: str) -> str:
    """HMAC-SHA256 of ``secret`` under a key derived from SECRET_KEY for ``purpose``.

    Fast enough to check on every request, useless to whoever copies the table without the
    key; a separate key per purpose so a digest of one kind never matches another kind.
    """
    key = hashlib.sha256(settings.SECRET_KEY.encode() + purpose).digest()
    return hmac.new(key, secret.encode("utf-8", "surrogatepass"), hashlib.sha256).hexdigest()

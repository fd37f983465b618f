"""A self-hosted CAPTCHA for the reset portal.

The browser solves a small proof of work (ALTCHA, SHA-256) with no puzzle to see or
hear, so it is as usable with a screen reader as without. Without JavaScript, a short
sum is asked instead. Either costs a bot something per attempt; the real protection
against guessing stays the rate limits and lockouts behind it.
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import logging
import secrets
from dataclasses import dataclass

from altcha import ChallengeOptionsV1, create_challenge_v1, verify_solution_v1
from django.conf import settings
from django.core import signing
from django.core.cache import cache

logger = logging.getLogger(__name__)

CHALLENGE_MINUTES = 10
# About 0.1 to 0.5 s of hashing in a browser; a bot pays the same for every try.
MAX_NUMBER = 100_000
_SALT = "twofold.sspr.captcha"


def _hmac_key() -> str:
    return settings.SECRET_KEY + ":captcha"


def new_challenge() -> dict[str, object]:
    expires = dt.datetime.now() + dt.timedelta(minutes=CHALLENGE_MINUTES)
    challenge = create_challenge_v1(
        ChallengeOptionsV1(hmac_key=_hmac_key(), max_number=MAX_NUMBER, expires=expires)
    )
    return {
        "algorithm": challenge.algorithm,
        "challenge": challenge.challenge,
        "maxnumber": challenge.max_number,
        "salt": challenge.salt,
        "signature": challenge.signature,
    }


def proof_of_work_is_valid(payload: str) -> bool:
    if not payload or len(payload) > 2000:
        return False
    try:
        ok, _error = verify_solution_v1(payload, _hmac_key(), check_expires=True)
        decoded = json.loads(base64.b64decode(payload))
    except (ValueError, TypeError, KeyError):
        return False
    if not ok or not isinstance(decoded, dict):
        return False
    # Each solved challenge is good for one form only.
    return _first_use(str(decoded.get("signature", "")))


@dataclass(frozen=True)
class Sum:
    question: str
    token: str


def new_sum() -> Sum:
    first, second = secrets.randbelow(9) + 1, secrets.randbelow(9) + 1
    token = signing.dumps(
        {"answer": first + second, "nonce": secrets.token_hex(8)}, salt=_SALT, compress=True
    )
    return Sum(question=f"{first} + {second}", token=token)


def sum_is_right(token: str, answer: str) -> bool:
    try:
        data = signing.loads(token, salt=_SALT, max_age=CHALLENGE_MINUTES * 60)
    except signing.BadSignature:
        return False
    if not answer.strip().isdigit() or int(answer.strip()) != data.get("answer"):
        return False
    return _first_use(str(data.get("nonce")))


def _first_use(identifier: str) -> bool:
    if not identifier:
        return False
    try:
        return bool(cache.add(f"captcha-used:{identifier}", 1, timeout=CHALLENGE_MINUTES * 60))
    except Exception:
        # Without the cache a solution could be used twice; the reset limits still hold.
        logger.warning("captcha reuse not checked: cache unreachable")
        return True

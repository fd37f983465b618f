"""A self-hosted CAPTCHA for the reset portal.

The browser solves a small proof of work (ALTCHA, SHA-256) with no puzzle to see or
hear, so it is as usable with a screen reader as without. Without JavaScript, a short
sum is asked instead. Either costs a bot something per attempt; the real protection
against guessing stays the rate limits and lockouts behind it.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass

from altcha import ChallengeOptionsV1, create_challenge_v1, verify_solution_v1
from django.conf import settings
from django.core import signing

from twofold.core.single_use import use_once

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
    nonce = secrets.token_hex(8)
    # The token is signed, not encrypted: it holds only a keyed hash of the answer, so a
    # bot can't read the sum's result out of the form (there are just 17 possible sums).
    token = signing.dumps({"nonce": nonce, "mac": _answer_mac(nonce, first + second)}, salt=_SALT)
    return Sum(question=f"{first} + {second}", token=token)


def sum_is_right(token: str, answer: str) -> bool:
    try:
        data = signing.loads(token, salt=_SALT, max_age=CHALLENGE_MINUTES * 60)
    except signing.BadSignature:
        return False
    typed = answer.strip()
    if not isinstance(data, dict) or not typed.isdigit() or len(typed) > 3:
        return False
    nonce, mac = str(data.get("nonce", "")), str(data.get("mac", ""))
    # One answer per sum, right or wrong: otherwise a bot tries all 17 with one token.
    if not _first_use(nonce):
        return False
    return hmac.compare_digest(_answer_mac(nonce, int(typed)), mac)


def _answer_mac(nonce: str, answer: int) -> str:
    key = (settings.SECRET_KEY + ":captcha-sum").encode()
    return hmac.new(key, f"{nonce}:{answer}".encode(), hashlib.sha256).hexdigest()


def _first_use(identifier: str) -> bool:
    # Each solution works once, recorded in the database: a cache outage can't reopen
    # replay, and two requests racing with one solution can't both pass.
    return use_once("captcha", identifier, CHALLENGE_MINUTES * 60)

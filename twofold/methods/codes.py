"""One-time codes sent by text or email: random, short-lived, checked in constant time."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.utils.translation import gettext as _

from twofold.methods.base import NotAnsweredYet, VerificationFailed

if TYPE_CHECKING:
    from twofold.methods.models import RegisteredMethod

DIGITS = 6


def name_seed(name: str) -> bytes:
    """Stands for a sign-in name, real or not (the challenge engine's look_alike_seed)."""
    return hmac.new(settings.SECRET_KEY.encode(), name.encode(), hashlib.sha256).digest()


def reset_sender_key(seed: bytes) -> str:
    """Whom texts and emails at the reset portal count against: the typed name's ``seed``.

    Real and made-up accounts count there alike, or mixing a right and a wrong typed
    number would show, by which send is refused, that the right one was right.
    """
    return hmac.new(seed, b"reset-sender", hashlib.sha256).hexdigest()[:32]


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def code_hash(code: str) -> str:
    # Keyed, so a copied session state doesn't give the code away by brute force offline.
    key = hashlib.sha256(settings.SECRET_KEY.encode() + b"sent-code").digest()
    return hmac.new(key, code.encode(), "sha256").hexdigest()


def code_matches(code: str, expected_hash: str) -> bool:
    return hmac.compare_digest(code_hash(code), expected_hash)


def new_code_state(code: str, now: dt.datetime, lifetime_seconds: int) -> dict[str, Any]:
    """What a challenge keeps of a sent code: never the code itself."""
    return {
        "code_hash": code_hash(code),
        "expires": now.timestamp() + lifetime_seconds,
        # Grows with every code sent, whatever the clock says (see accept_once).
        "issued": time.time_ns() // 1000,
    }


def check_sent_code(
    state: dict[str, Any], code: str, now: dt.datetime, *, not_sent: str, wrong: str
) -> None:
    if "code_hash" not in state:
        raise NotAnsweredYet(not_sent)
    if now.timestamp() >= float(state["expires"]):
        raise NotAnsweredYet(_("This code has expired. Send a new code and use that one."))
    if not code_matches(code, state["code_hash"]):
        raise VerificationFailed(wrong)


def accept_once(state: dict[str, Any], method: RegisteredMethod, *, used: str) -> None:
    """Each challenge has a number that only grows; the caller holds the method's row lock,
    so an answer (or an older one) is accepted once even when two requests race with it."""
    issued = int(state.get("issued", 0))
    if issued <= method.counter:
        raise VerificationFailed(used)
    method.counter = issued


class SentCodeChallenge:
    """Challenge handling for methods that send a code (text, email): a reload reuses the
    code while it lives, and an answer is checked and then used up."""

    def check_code(self, state: dict[str, Any], code: str, now: dt.datetime) -> None:
        raise NotImplementedError

    def challenge_still_open(self, state: dict[str, Any], now: dt.datetime) -> bool:
        return "code_hash" in state and now.timestamp() < float(state["expires"])

    def verify(
        self,
        method: RegisteredMethod,
        cleaned_data: dict[str, Any],
        now: dt.datetime,
        state: dict[str, Any],
    ) -> None:
        self.check_code(state, cleaned_data["code"], now)
        accept_once(state, method, used=_("This code was already used. Send a new code."))

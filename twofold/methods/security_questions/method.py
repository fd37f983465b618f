"""Security questions: answers only the user knows, for password reset only."""

from __future__ import annotations

import datetime as dt
import functools
import random
import secrets
import time
from typing import TYPE_CHECKING, Any

from django import forms
from django.contrib.auth.hashers import check_password, make_password
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from twofold.methods import codes
from twofold.methods.base import NewMethod, SecurityMethod, VerificationFailed
from twofold.methods.purposes import Purpose
from twofold.methods.security_questions.catalogue import (
    BUILT_IN,
    available_questions,
    normalise_answer,
)
from twofold.methods.security_questions.forms import AnswerQuestionsForm, ChooseQuestionsForm
from twofold.policy.snapshot import policy_snapshot

if TYPE_CHECKING:
    from twofold.accounts.models import User
    from twofold.methods.models import RegisteredMethod


def _policy_counts() -> tuple[int, int]:
    policy = policy_snapshot().policy
    return policy.questions_to_register, policy.questions_to_ask


@functools.cache
def _dummy_hash() -> str:
    """A hash made once, checked against for made-up questions so they cost the same time."""
    return make_password("twofold-dummy-answer")


def question_text(entry: dict[str, str]) -> str:
    built_in = BUILT_IN.get(entry["question"])
    return str(built_in) if built_in is not None else entry.get("text", "")


class SecurityQuestionsMethod(SecurityMethod):
    key = "security_questions"
    name = gettext_lazy("Security questions")
    description = gettext_lazy(
        "Answer questions only you know the answers to, to reset your password."
    )
    strength = 5
    # Answers can be researched or guessed by people who know you: never a second factor.
    for_two_step = False
    for_password_reset = True
    registration_form = ChooseQuestionsForm
    challenge_form = AnswerQuestionsForm
    registration_template = "methods/security_questions/register.html"
    challenge_template = "methods/security_questions/challenge.html"

    def make_registration_form(
        self, user: User, data: Any = None, *, pending: dict[str, Any] | None = None
    ) -> forms.Form:
        to_register, _to_ask = _policy_counts()
        return ChooseQuestionsForm(available_questions(), to_register, data)

    def make_challenge_form(self, state: dict[str, Any], data: Any = None) -> forms.Form:
        asked = [(entry["question"], question_text(entry)) for entry in state.get("asked", [])]
        return AnswerQuestionsForm(asked, data)

    def begin_registration(self, user: User) -> dict[str, Any]:
        return {}

    def registration_context(
        self, user: User, pending: dict[str, Any], request: HttpRequest
    ) -> dict[str, Any]:
        return {}

    def finish_registration(
        self, user: User, pending: dict[str, Any], cleaned_data: dict[str, Any], now: dt.datetime
    ) -> NewMethod:
        questions = available_questions()
        answers = [
            {
                "question": key,
                # Custom questions keep their text: an admin may retire them later.
                "text": "" if key in BUILT_IN else questions[key],
                # Hashed like passwords: a database leak must not hand out the answers.
                "hash": make_password(normalised),
            }
            for key, normalised in cleaned_data["pairs"]
        ]
        return NewMethod(label="", data={"answers": answers})

    def begin_challenge(
        self, method: RegisteredMethod, request: HttpRequest, purpose: Purpose = Purpose.SIGN_IN
    ) -> dict[str, Any]:
        answers = method.data["answers"]
        _to_register, to_ask = _policy_counts()
        count = min(to_ask, len(answers))
        # A fresh random pick each time, so one overheard answer set is not enough.
        picked = secrets.SystemRandom().sample(answers, count)
        return {
            "asked": [{"question": a["question"], "text": a.get("text", "")} for a in picked],
            "issued": time.time_ns() // 1000,
        }

    def challenge_still_open(self, state: dict[str, Any], now: dt.datetime) -> bool:
        return bool(state.get("asked"))

    def look_alike_state(self, seed: bytes, contact: str = "") -> dict[str, Any]:
        _to_register, to_ask = _policy_counts()
        # Stable made-up questions per name, not a secret: a seeded PRNG is what is wanted.
        picker = random.Random(seed)  # nosec B311
        keys = picker.sample(sorted(BUILT_IN), to_ask)
        return {"asked": [{"question": key, "text": ""} for key in keys]}

    def verify(
        self,
        method: RegisteredMethod,
        cleaned_data: dict[str, Any],
        now: dt.datetime,
        state: dict[str, Any],
    ) -> None:
        asked = state.get("asked") or []
        if not asked:
            raise VerificationFailed(_("Start again: the questions were not asked yet."))
        hashes = {entry["question"]: entry["hash"] for entry in method.data["answers"]}
        typed = [cleaned_data.get(f"answer_{index}", "") for index in range(len(asked))]
        # Check every answer, right or wrong, so the time taken tells nothing.
        results = [
            check_password(normalise_answer(answer), hashes.get(entry["question"], ""))
            for entry, answer in zip(asked, typed, strict=True)
        ]
        if not all(results):
            raise VerificationFailed(_("One or more answers aren't right."))
        codes.accept_once(state, method, used=_("These answers were already used. Start again."))

    def look_alike_verify(
        self, cleaned_data: dict[str, Any], now: dt.datetime, state: dict[str, Any]
    ) -> None:
        # Timing: one password-strength hash check per question, as verify() does.
        for entry in state.get("asked", []):
            check_password(normalise_answer(entry["question"]), _dummy_hash())
        raise VerificationFailed(_("One or more answers aren't right."))

    def describe(self, method: RegisteredMethod) -> str:
        count = len(method.data["answers"])
        return ngettext("%(count)d question", "%(count)d questions", count) % {"count": count}

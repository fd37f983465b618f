"""The reset portal's CAPTCHA: each solution works once, with or without the cache, and
the no-JavaScript sum's token does not carry its answer."""

from __future__ import annotations

import base64
import json
import re

import pytest
from django.core import signing
from django.test import Client

from tests.core.dead_cache import cache_down
from tests.sspr.helpers import solved_captcha
from twofold.accounts.models import User
from twofold.sspr import captcha

pytestmark = pytest.mark.django_db


def answer_of(question: str) -> int:
    first, second = (int(n) for n in re.findall(r"\d+", question))
    return first + second


def test_a_solved_check_replayed_with_the_cache_down_is_refused(adele: User) -> None:
    payload = solved_captcha(Client().get("/reset/").context)
    with cache_down():
        assert captcha.proof_of_work_is_valid(payload)
        assert not captcha.proof_of_work_is_valid(payload)
        again = Client().post("/reset/", {"username": adele.username, "captcha": payload})
    assert again.status_code == 400


def test_a_sum_replayed_with_the_cache_down_is_refused() -> None:
    question = captcha.new_sum()
    answer = str(answer_of(question.question))
    with cache_down():
        assert captcha.sum_is_right(question.token, answer)
        assert not captcha.sum_is_right(question.token, answer)


def test_the_sum_token_does_not_carry_its_answer() -> None:
    for _ in range(20):
        question = captcha.new_sum()
        data = signing.loads(question.token, salt="twofold.sspr.captcha")
        assert set(data) == {"nonce", "mac"}
        payload = question.token.split(":")[0]
        decoded = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
        assert json.loads(decoded) == data, "nothing but a nonce and a keyed hash"
        answer = answer_of(question.question)
        assert not any(value == answer or value == str(answer) for value in data.values()), (
            "the answer is not readable in the token"
        )


def test_one_answer_per_sum_so_a_bot_cannot_try_them_all() -> None:
    question = captcha.new_sum()
    right = answer_of(question.question)
    assert not captcha.sum_is_right(question.token, str(right + 1))
    assert not captcha.sum_is_right(question.token, str(right)), "the wrong answer used it up"


def test_an_empty_answer_does_not_use_the_sum_up() -> None:
    question = captcha.new_sum()
    assert not captcha.sum_is_right(question.token, "")
    assert captcha.sum_is_right(question.token, str(answer_of(question.question)))

"""Playing a person at the reset portal with Django's test client."""

from __future__ import annotations

import base64
import json
import re

from altcha import solve_challenge_v1
from django.core import mail
from django.test import Client

from twofold.accounts.models import User
from twofold.methods.email.method import EmailMethod
from twofold.methods.flows import register_method
from twofold.methods.security_questions.method import SecurityQuestionsMethod

ANSWERS = {"first_school": "De Regenboog", "first_pet": "Rex the dog", "first_concert": "U2 live"}
HOME_EMAIL = "adele.home@example.org"


def solved_captcha(page_context: dict) -> str:  # type: ignore[type-arg]
    challenge = page_context["challenge"]
    solution = solve_challenge_v1(
        challenge["challenge"], challenge["salt"], challenge["algorithm"], challenge["maxnumber"], 0
    )
    payload = {
        "algorithm": challenge["algorithm"],
        "challenge": challenge["challenge"],
        "number": solution.number,
        "salt": challenge["salt"],
        "signature": challenge["signature"],
    }
    return base64.b64encode(json.dumps(payload).encode()).decode()


def start(client: Client, name: str):
    page = client.get("/reset/")
    return client.post("/reset/", {"username": name, "captcha": solved_captcha(page.context)})


def add_email(user: User, address: str = HOME_EMAIL) -> None:
    method = EmailMethod()
    pending = method.advance_registration(user, {}, {"action": "send", "email": address}, _now())
    assert pending is not None
    code = re.search(r"code is (\d{6})", mail.outbox[-1].body).group(1)  # type: ignore[union-attr]
    register_method(user, method, pending, {"code": code})


def add_questions(user: User) -> None:
    method = SecurityQuestionsMethod()
    data = {}
    for number, (key, answer) in enumerate(ANSWERS.items(), start=1):
        data[f"question_{number}"] = key
        data[f"answer_{number}"] = answer
    form = method.make_registration_form(user, data)
    assert form.is_valid(), form.errors
    register_method(user, method, {}, form.cleaned_data)


def answers_for(page) -> dict[str, str]:
    """Fill in the asked questions from the page's form."""
    form = page.context["form"]
    result = {}
    for name, field in form.fields.items():
        key = next(k for k, v in _question_texts().items() if v == field.label)
        result[name] = ANSWERS.get(key, "no idea")
    return result


def last_code_in_mail() -> str:
    match = re.search(r"code is (\d{6})", mail.outbox[-1].body)
    assert match, mail.outbox[-1].body
    return match.group(1)


def _question_texts() -> dict[str, str]:
    from twofold.methods.security_questions.catalogue import BUILT_IN

    return {key: str(text) for key, text in BUILT_IN.items()}


def _now():
    from twofold.core import clock

    return clock.now()

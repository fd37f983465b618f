"""Reset portal timing: a real account against a made-up name, for every reset method.

    .venv/bin/python bench/reset_timing.py [--rounds 200]
    .venv/bin/python bench/reset_timing.py --smoke   # does it still run: SQLite, 3 rounds

A made-up name must cost what a real account costs, or the time taken tells which accounts
exist. Each round starts a reset for the real account and for a made-up name (in turn, which
goes first alternating), with Django's test client in this process, and times the requests an
attacker sees: typing the contact (email, texts, calls), beginning the challenge (the page
that sends the code) and a wrong answer. The typed contact is the real account's, so the real
walk really sends (to the dev phone and the in-memory mailbox). The CAPTCHA is switched off
and the clock moves on a day between methods, so limits and lockouts stay out of the figures.
Median and p90 in ms per method and step, and the difference of the medians (made-up - real).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from harness import percentile

REAL = "adele.bench@contoso.example"
MADE_UP = "nobody.bench@contoso.example"
HOME_EMAIL = "adele.home@example.org"
MOBILE = "+31612345678"
OFFICE = "+31201234567"
ALTERNATE = "+31687654321"
CONTACT = {
    "email": HOME_EMAIL,
    "phone_text": MOBILE,
    "phone_call": MOBILE,
    "alternate_phone_call": ALTERNATE,
    "office_call": OFFICE,
}
STEPS = ("contact", "begin", "wrong answer")


def prepare() -> Callable[[str], dict[str, Any]]:
    """Register every reset method for the real account; returns the wrong answer per method."""
    from django.contrib.auth.hashers import make_password
    from webauthn.helpers import bytes_to_base64url

    from twofold.accounts.services import NewUser, create_user
    from twofold.methods.authenticator_code import otp
    from twofold.methods.models import RegisteredMethod
    from twofold.methods.security_questions.catalogue import BUILT_IN
    from twofold.policy.services import get_policy

    policy = get_policy()
    policy.registration_required = False
    policy.sspr_enabled = True
    policy.save()
    user = create_user(NewUser(REAL, password="bench-long-passphrase-1"))
    user.office_phone = OFFICE
    user.save()
    questions = sorted(BUILT_IN)[:5]
    data: dict[str, dict[str, Any]] = {
        "email": {"email": HOME_EMAIL},
        "phone_text": {"number": MOBILE},
        "phone_call": {"number": MOBILE},
        "alternate_phone_call": {"number": ALTERNATE},
        "office_call": {"number": OFFICE},
        "authenticator_code": {"secret": otp.new_secret()},
        "authenticator_app": {
            "device_id": secrets.token_hex(16),
            "public_key": "",
            "key_type": "ed25519",
            "totp_secret": otp.new_secret(),
        },
        "security_questions": {
            "answers": [
                {"question": key, "text": "", "hash": make_password(f"answer {key}")}
                for key in questions
            ]
        },
        "security_key": {
            "credential_id": bytes_to_base64url(secrets.token_bytes(32)),
            "public_key": bytes_to_base64url(secrets.token_bytes(77)),
            "aaguid": "",
            "attestation_format": "none",
        },
    }
    for kind, values in data.items():
        row = RegisteredMethod(user=user, kind=kind)
        row.data = values
        row.save()

    def wrong(kind: str) -> dict[str, Any]:
        if kind in ("phone_call", "alternate_phone_call", "office_call"):
            return {}  # "Continue" while nobody pressed #
        if kind == "security_questions":
            return {f"answer_{i}": "not the answer" for i in range(5)}
        if kind == "security_key":
            return {"credential": '{"id": "AAAA", "type": "public-key", "response": {}}'}
        return {"code": "000000"}

    return wrong


def walk(client: Any, name: str, kind: str, wrong: dict[str, Any]) -> dict[str, float]:
    """One reset for ``name`` with ``kind``: the time of each step in ms."""
    started = client.post("/reset/", {"username": name, "captcha": "bench"})
    assert started.status_code == 302, started.status_code
    url = f"/reset/verify/{kind}/"
    times: dict[str, float] = {}
    if kind in CONTACT:
        client.get(url)
        t0 = time.perf_counter()
        typed = client.post(url, {"contact": CONTACT[kind]})
        times["contact"] = 1000 * (time.perf_counter() - t0)
        assert typed.status_code == 302, typed.status_code
    t0 = time.perf_counter()
    page = client.get(url)
    times["begin"] = 1000 * (time.perf_counter() - t0)
    assert page.status_code == 200, page.status_code
    t0 = time.perf_counter()
    refused = client.post(url, wrong)
    times["wrong answer"] = 1000 * (time.perf_counter() - t0)
    # 400 only for the key's junk credential, which the form refuses for both alike.
    assert refused.status_code in (400, 401), (kind, refused.status_code)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=200)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument(
        "--smoke", action="store_true", help="does it still run (make test): SQLite, 3 rounds"
    )
    args = parser.parse_args()
    if args.smoke:
        args.rounds, args.warmup = 3, 1
        # SQLite, as the other benchmarks' smoke runs: never a shared database.
        os.environ.pop("TWOFOLD_DATABASE_URL", None)
        os.environ.pop("TWOFOLD_REDIS_URL", None)
    os.environ.setdefault("TWOFOLD_DATA_DIR", tempfile.mkdtemp(prefix="twofold-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    os.environ["TWOFOLD_COOKIE_SECURE"] = "false"
    os.environ["TWOFOLD_SMS_GATEWAY"] = "devphone"
    import logging

    import django

    django.setup()
    logging.disable(logging.WARNING)  # every wrong answer logs "Unauthorized"
    from django.core import mail
    from django.core.management import call_command
    from django.test import Client
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the in-memory mailbox, and "testserver" allowed
    call_command("migrate", verbosity=0)

    from twofold.core import clock
    from twofold.methods.registry import all_methods
    from twofold.sspr import captcha

    captcha.proof_of_work_is_valid = lambda payload: True  # type: ignore[assignment]
    moment = {"t": time.time()}
    clock.now = lambda: dt.datetime.fromtimestamp(moment["t"], tz=dt.UTC)  # type: ignore[assignment]
    wrong = prepare()
    kinds = sorted(m.key for m in all_methods() if m.for_password_reset)
    samples: dict[tuple[str, str, str], list[float]] = {}
    for number in range(args.warmup + args.rounds):
        mail.outbox.clear()
        order = [REAL, MADE_UP] if number % 2 == 0 else [MADE_UP, REAL]
        for kind in kinds:
            # A day on: every limit window and lockout of the last walks has ended.
            moment["t"] += 86400 + 3600
            for name in order:
                times = walk(Client(), name, kind, wrong(kind))
                if number >= args.warmup:
                    who = "real" if name == REAL else "made-up"
                    for step, ms in times.items():
                        samples.setdefault((kind, step, who), []).append(ms)

    from django.db import connection

    print(f"database: {connection.vendor}, {args.rounds} rounds, in-process test client")
    print(f"{'method, step':40} {'real p50 / p90 ms':>20} {'made-up p50 / p90 ms':>22}")
    for kind in kinds:
        for step in STEPS:
            real = samples.get((kind, step, "real"))
            made_up = samples.get((kind, step, "made-up"))
            if not real or not made_up:
                continue
            r50, r90 = percentile(real, 50), percentile(real, 90)
            m50, m90 = percentile(made_up, 50), percentile(made_up, 90)
            assert r50 is not None and r90 is not None and m50 is not None and m90 is not None
            print(
                f"  {kind + ' ' + step:38}  {r50:8.2f} / {r90:7.2f}  {m50:9.2f} / {m90:7.2f}"
                f"    difference {m50 - r50:+7.2f}"
            )


if __name__ == "__main__":
    main()

"""Authenticator-code verification throughput: the pure RFC 6238 check and the full flow.

    .venv/bin/python bench/totp.py [--seconds 5]
    .venv/bin/python bench/totp.py --smoke     # does it still run: SQLite, 0.2 s per figure

The full flow is what a second sign-in step costs the server: lockout check,
row lock, decrypting the secret, the code check, counter update and audit row,
in one transaction on the configured database (SQLite in a temp folder unless
TWOFOLD_DATABASE_URL is set).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def rate(label: str, seconds: float, step: callable) -> float:  # type: ignore[valid-type]
    count = 0
    started = time.perf_counter()
    deadline = started + seconds
    while time.perf_counter() < deadline:
        step(count)
        count += 1
    elapsed = time.perf_counter() - started
    per_second = count / elapsed
    print(f"{label:52} {per_second:10.0f} /s   {1000 / per_second:7.3f} ms each")
    return per_second


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="does it still run (make test): SQLite, 0.2 s per figure",
    )
    args = parser.parse_args()
    if args.smoke:
        args.seconds = 0.2
        # SQLite, as the other benchmarks' smoke runs: never a shared database.
        os.environ.pop("TWOFOLD_DATABASE_URL", None)
        os.environ.pop("TWOFOLD_REDIS_URL", None)

    os.environ.setdefault("TWOFOLD_DATA_DIR", tempfile.mkdtemp(prefix="twofold-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "twofold.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)

    import pyotp

    from twofold.accounts.services import NewUser, create_user
    from twofold.methods.authenticator_code import otp
    from twofold.methods.flows import register_method, verify_method
    from twofold.methods.registry import get_method

    secret = otp.new_secret()
    totp = pyotp.TOTP(secret)
    now = time.time()
    code = totp.at(now)
    print(f"database: {django.db.connection.vendor}, one core, {args.seconds:g} s per figure")
    rate("pure check (right code, 3 steps compared)", args.seconds,
         lambda i: otp.matching_step(secret, code, now, -1))  # fmt: skip
    rate(
        "pure check (wrong code)",
        args.seconds,
        lambda i: otp.matching_step(secret, "000000", now, -1),
    )

    user = create_user(
        NewUser(f"bench{int(now)}@contoso.example", password="bench-long-passphrase-1")
    )
    method = get_method("authenticator_code")
    pending = method.begin_registration(user)
    registered = register_method(
        user, method, pending, {"code": pyotp.TOTP(pending["secret"]).at(now), "label": ""}
    )
    user_secret = pending["secret"]
    # Codes are single-use, so each verification happens one time step later than the last.
    from twofold.core import clock

    base = time.time() + 60
    moment = {"t": base}
    clock.now = lambda: dt.datetime.fromtimestamp(moment["t"], tz=dt.UTC)  # type: ignore[assignment]

    def verify_once(i: int) -> None:
        moment["t"] = base + 30 * (i + 1)
        result = verify_method(registered, {"code": pyotp.TOTP(user_secret).at(moment["t"])})
        assert result.ok

    rate("full flow: verify_method in a transaction", args.seconds, verify_once)


if __name__ == "__main__":
    main()

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from twofold.accounts.models import SignInThrottle, User
from twofold.accounts.passwords_check import Outcome, verify_password
from twofold.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def run(*args: str, stdin: str = "") -> str:
    out = io.StringIO()
    old_stdin = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        call_command(*args, stdout=out)
    finally:
        sys.stdin = old_stdin
    return out.getvalue()


def test_user_add_with_password_from_stdin_and_directory_phones() -> None:
    output = run(
        "user",
        "add",
        "Lee@Contoso.example",
        "--display-name",
        "Lee Gu",
        "--mobile-phone",
        "+31 6 12345678",
        "--office-phone",
        "+31 20 123 4567",
        "--office-extension",
        "42",
        "--password-stdin",
        stdin="a-good-long-passphrase\n",
    )
    assert "User lee@contoso.example created." in output
    user = User.objects.get()
    assert (user.display_name, user.mobile_phone, user.office_phone_extension) == (
        "Lee Gu",
        "+31612345678",
        "42",
    )
    assert (
        verify_password("lee@contoso.example", "a-good-long-passphrase").outcome == Outcome.ACCEPTED
    )


def test_user_add_without_a_terminal_generates_a_password_shown_once() -> None:
    output = run("user", "add", "lee@contoso.example")
    password = output.split("Password (shown once): ")[1].strip()
    assert len(password) == 23
    assert verify_password("lee@contoso.example", password).outcome == Outcome.ACCEPTED


@pytest.mark.parametrize(
    ("args", "stdin", "message"),
    [
        (["not-a-name", "--generate-password"], "", "principal_name: Enter your account name"),
        (
            ["lee@contoso.example", "--password-stdin"],
            "123\n",
            "password: This password is too short",
        ),
        (["lee@contoso.example", "--password-stdin"], "\n", "No password was given"),
        (
            ["lee@contoso.example", "--generate-password", "--mobile-phone", "12"],
            "",
            "mobile_phone:",
        ),
    ],
)
def test_user_add_explains_bad_input(args: list[str], stdin: str, message: str) -> None:
    with pytest.raises(CommandError, match=message):
        run("user", "add", *args, stdin=stdin)
    assert User.objects.count() == 0


def test_user_list_disable_enable_and_unlock(adele: User) -> None:
    assert "adele@contoso.example" in run("user", "list")
    run("user", "disable", "ADELE@contoso.example")
    adele.refresh_from_db()
    assert not adele.is_active
    assert "disabled" in run("user", "list")
    run("user", "enable", "adele@contoso.example")
    adele.refresh_from_db()
    assert adele.is_active
    for i in range(10):
        verify_password(adele.username, f"guess-{i}")
    assert SignInThrottle.objects.exists()
    run("user", "unlock", "adele@contoso.example")
    assert not SignInThrottle.objects.exists()


def test_disabling_an_unknown_user_says_so() -> None:
    with pytest.raises(CommandError, match=r"There is no user nobody@contoso\.example"):
        run("user", "disable", "nobody@contoso.example")


def test_createadmin_makes_a_staff_superuser() -> None:
    run("createadmin", "boss@contoso.example", "--password-stdin", stdin="a-good-long-passphrase\n")
    admin = User.objects.get()
    assert admin.is_staff and admin.is_superuser
    assert AuditEvent.objects.filter(kind=AuditEvent.Kind.USER_CREATED, user=admin).exists()


def test_demo_creates_an_organisation_once_and_keeps_the_passwords_private(
    settings,
    tmp_path: Path,
) -> None:
    settings.CONFIG = type(settings.CONFIG)(**{**settings.CONFIG.__dict__, "data_dir": tmp_path})
    first = run("demo", "--url", "http://127.0.0.1:8765")
    assert "Demo organisation created." in first
    assert "Sign in at http://127.0.0.1:8765/" in first, "the address make run really serves"
    assert User.objects.count() == 3
    assert User.objects.get(username="admin@contoso.example").is_staff
    adele = User.objects.get(username="adele@contoso.example")
    assert adele.office_phone_extension == "1234"
    line = next(line for line in first.splitlines() if "adele@" in line)
    password = line.split("password: ")[1]
    assert verify_password("adele@contoso.example", password).outcome == Outcome.ACCEPTED
    mode = stat.S_IMODE(os.stat(tmp_path / "demo-accounts.txt").st_mode)
    assert mode == 0o600
    second = run("demo")
    assert "Users exist already" in second
    assert password in second
    assert User.objects.count() == 3


def test_twofold_command_is_installed_and_shows_its_commands() -> None:
    twofold = Path(sys.executable).parent / "twofold"
    result = subprocess.run(
        [twofold, "help"], capture_output=True, text=True, timeout=60, check=True
    )
    for command in ("serve", "createadmin", "user", "demo", "migrate"):
        assert command in result.stdout

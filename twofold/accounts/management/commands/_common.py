from __future__ import annotations

import getpass
import sys

from django.core.exceptions import ValidationError
from django.core.management.base import CommandError


def read_password(*, from_stdin: bool, generate: bool) -> tuple[str | None, bool]:
    """The password to set and whether it was generated (and so must be shown once)."""
    from twofold.accounts.passwords_generate import generate_password

    if from_stdin:
        password = sys.stdin.readline().rstrip("\n")
        if not password:
            raise CommandError("No password was given on standard input.")
        return password, False
    if generate or not sys.stdin.isatty():
        return generate_password(), True
    first = getpass.getpass("Password: ")
    if first != getpass.getpass("Password (again): "):
        raise CommandError("The two passwords are not the same.")
    return first, False


def validation_failure(error: ValidationError) -> CommandError:
    if hasattr(error, "error_dict"):
        lines = [f"{field}: {' '.join(messages)}" for field, messages in error.message_dict.items()]
    else:
        lines = error.messages
    return CommandError("\n".join(lines))

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandParser

from twofold.accounts.management.commands._common import read_password, validation_failure
from twofold.accounts.services import NewUser, create_user


class Command(BaseCommand):
    help = "Create an administrator account."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("principal_name", help="Sign-in name, e.g. admin@contoso.example.")
        parser.add_argument("--display-name", default="", help="Name shown in pages.")
        parser.add_argument(
            "--password-stdin", action="store_true", help="Read the password from stdin."
        )
        parser.add_argument(
            "--generate-password", action="store_true", help="Generate and print a password."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        password, generated = read_password(
            from_stdin=options["password_stdin"], generate=options["generate_password"]
        )
        try:
            user = create_user(
                NewUser(
                    principal_name=options["principal_name"],
                    display_name=options["display_name"],
                    password=password,
                    is_admin=True,
                )
            )
        except ValidationError as error:
            raise validation_failure(error) from None
        self.stdout.write(self.style.SUCCESS(f"Administrator {user.username} created."))
        if generated:
            self.stdout.write(f"Password (shown once): {password}")

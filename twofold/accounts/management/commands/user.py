from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.management.commands._common import read_password, validation_failure
from twofold.accounts.models import User
from twofold.accounts.principal_names import normalise_principal_name
from twofold.accounts.services import NewUser, create_user, set_account_enabled, unlock_account


class Command(BaseCommand):
    help = "Manage user accounts: add, list, disable, enable, unlock."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Create a user.")
        add.add_argument("principal_name")
        add.add_argument("--display-name", default="")
        add.add_argument("--mobile-phone", default="", help="E.164, e.g. +31612345678.")
        add.add_argument("--office-phone", default="")
        add.add_argument("--office-extension", default="")
        add.add_argument("--admin", action="store_true", help="Make the user an administrator.")
        add.add_argument("--password-stdin", action="store_true")
        add.add_argument("--generate-password", action="store_true")
        actions.add_parser("list", help="List users.")
        for name, text in (
            ("disable", "Disable a user and end their sessions."),
            ("enable", "Enable a disabled user."),
            ("unlock", "Clear a sign-in lockout."),
        ):
            actions.add_parser(name, help=text).add_argument("principal_name")

    def handle(self, *args: Any, **options: Any) -> None:
        getattr(self, f"handle_{options['action']}")(options)

    def handle_add(self, options: dict[str, Any]) -> None:
        password, generated = read_password(
            from_stdin=options["password_stdin"], generate=options["generate_password"]
        )
        try:
            user = create_user(
                NewUser(
                    principal_name=options["principal_name"],
                    display_name=options["display_name"],
                    password=password,
                    mobile_phone=options["mobile_phone"],
                    office_phone=options["office_phone"],
                    office_phone_extension=options["office_extension"],
                    is_admin=options["admin"],
                )
            )
        except ValidationError as error:
            raise validation_failure(error) from None
        self.stdout.write(self.style.SUCCESS(f"User {user.username} created."))
        if generated:
            self.stdout.write(f"Password (shown once): {password}")

    def handle_list(self, options: dict[str, Any]) -> None:
        rows = User.objects.order_by("username").values_list(
            "username", "display_name", "is_active", "is_staff"
        )
        self.stdout.write(f"{'ACCOUNT':40} {'NAME':28} {'STATE':9} ROLE")
        for username, display_name, active, staff in rows:
            state = "enabled" if active else "disabled"
            role = "admin" if staff else "user"
            self.stdout.write(f"{username:40} {display_name[:28]:28} {state:9} {role}")

    def handle_disable(self, options: dict[str, Any]) -> None:
        set_account_enabled(self._user(options), False)
        self.stdout.write(self.style.SUCCESS("User disabled; their sessions were ended."))

    def handle_enable(self, options: dict[str, Any]) -> None:
        set_account_enabled(self._user(options), True)
        self.stdout.write(self.style.SUCCESS("User enabled."))

    def handle_unlock(self, options: dict[str, Any]) -> None:
        unlock_account(options["principal_name"])
        self.stdout.write(self.style.SUCCESS("Sign-in lockout cleared."))

    def _user(self, options: dict[str, Any]) -> User:
        name = normalise_principal_name(options["principal_name"])
        user = User.objects.filter(username=name).first()
        if user is None:
            raise CommandError(f"There is no user {name}.")
        return user

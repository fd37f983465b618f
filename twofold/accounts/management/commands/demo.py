from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from twofold.accounts.demo import create_demo_organisation, credentials_file


class Command(BaseCommand):
    help = "Create a demo organisation (an admin and two users) in an empty database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--url",
            default="",
            help="Where people sign in (default: TWOFOLD_PUBLIC_URL); printed with the accounts.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        created, text = create_demo_organisation()
        if created:
            self.stdout.write(self.style.SUCCESS("Demo organisation created."))
        elif text:
            self.stdout.write(
                f"Users exist already; the demo accounts are in {credentials_file()}."
            )
        else:
            self.stdout.write("Users exist already; no demo organisation was created.")
        if text:
            self.stdout.write(text)
            url = options["url"] or settings.TWOFOLD_PUBLIC_URL
            self.stdout.write(f"Sign in at {url.rstrip('/')}/")

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import get_application_model


class Command(BaseCommand):
    help = "Register an app that signs users in through Twofold (OpenID Connect)."

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Register a client app.")
        add.add_argument("name")
        add.add_argument("--redirect-uri", action="append", required=True, dest="redirect_uris")
        add.add_argument("--public", action="store_true", help="A client without a secret (PKCE).")
        add.add_argument(
            "--ask-consent",
            action="store_true",
            help="Ask users to allow the app; by default the organisation's apps are trusted.",
        )
        actions.add_parser("list", help="List client apps.")

    def handle(self, *args: Any, **options: Any) -> None:
        application_model = get_application_model()
        if options["action"] == "list":
            for app in application_model.objects.order_by("name"):
                self.stdout.write(f"{app.client_id}  {app.name}  {app.redirect_uris}")
            return
        for uri in options["redirect_uris"]:
            if not uri.startswith(("https://", "http://")):
                raise CommandError(f"{uri} is not an http(s) address.")
        secret = "" if options["public"] else generate_client_secret()
        app = application_model.objects.create(
            name=options["name"],
            client_type=application_model.CLIENT_PUBLIC
            if options["public"]
            else application_model.CLIENT_CONFIDENTIAL,
            authorization_grant_type=application_model.GRANT_AUTHORIZATION_CODE,
            redirect_uris=" ".join(options["redirect_uris"]),
            client_secret=secret,
            algorithm=application_model.RS256_ALGORITHM,
            skip_authorization=not options["ask_consent"],
        )
        self.stdout.write(self.style.SUCCESS(f"App {app.name} registered."))
        self.stdout.write(f"client_id: {app.client_id}")
        if secret:
            self.stdout.write(f"client_secret (shown once): {secret}")

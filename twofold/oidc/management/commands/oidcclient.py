from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from oauth2_provider.models import get_application_model

from twofold.oidc.services import add_client, find_clients, redirect_uri_problems, remove_client


class Command(BaseCommand):
    help = (
        "Register, list and remove the apps that sign users in through Twofold (OpenID "
        "Connect). Apps use the authorization code flow with PKCE (S256); ID tokens are "
        "signed with RS256."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        add = actions.add_parser("add", help="Register a client app.")
        add.add_argument("name")
        add.add_argument(
            "--redirect-uri",
            action="append",
            required=True,
            dest="redirect_uris",
            help="Where users come back with a code (exact; https, or http for loopback). "
            "Repeat for several.",
        )
        add.add_argument(
            "--post-logout-redirect-uri",
            action="append",
            default=[],
            dest="post_logout_redirect_uris",
            help="Where users may be sent after signing out from the app. Repeat for several.",
        )
        add.add_argument("--public", action="store_true", help="A client without a secret (PKCE).")
        add.add_argument(
            "--ask-consent",
            action="store_true",
            help="Ask users to allow the app; by default the organisation's apps are trusted.",
        )
        actions.add_parser("list", help="List client apps.")
        remove = actions.add_parser("remove", help="Remove a client app and its tokens.")
        remove.add_argument("app", metavar="NAME|CLIENT_ID")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "list":
            self._list()
        elif options["action"] == "remove":
            self._remove(options["app"])
        else:
            self._add(options)

    def _add(self, options: dict[str, Any]) -> None:
        name = options["name"].strip()
        if not name:
            raise CommandError("Give the app a name.")
        if find_clients(name):
            raise CommandError(f"An app named {name} exists already.")
        problems = redirect_uri_problems(options["redirect_uris"])
        problems += redirect_uri_problems(options["post_logout_redirect_uris"])
        if problems:
            raise CommandError("\n".join(problems))
        client = add_client(
            name,
            options["redirect_uris"],
            post_logout_redirect_uris=options["post_logout_redirect_uris"],
            public=options["public"],
            ask_consent=options["ask_consent"],
        )
        self.stdout.write(self.style.SUCCESS(f"App {name} registered."))
        self.stdout.write(f"client_id: {client.client_id}")
        if client.client_secret:
            self.stdout.write(f"client_secret (shown once): {client.client_secret}")

    def _list(self) -> None:
        application_model = get_application_model()
        for app in application_model.objects.order_by("name"):
            grant = app.authorization_grant_type
            if grant != application_model.GRANT_AUTHORIZATION_CODE:
                grant += " (refused: only authorization-code is served)"
            self.stdout.write(
                f"{app.client_id}  {app.name}  {app.client_type}  {grant}\n"
                f"    redirect: {app.redirect_uris or '-'}\n"
                f"    after sign-out: {app.post_logout_redirect_uris or '-'}"
            )

    def _remove(self, name_or_client_id: str) -> None:
        found = find_clients(name_or_client_id)
        if not found:
            raise CommandError(f"There is no app named or with client_id {name_or_client_id}.")
        if len(found) > 1:
            ids = ", ".join(app.client_id for app in found)
            raise CommandError(f"Several apps are named {name_or_client_id}; give one of {ids}.")
        remove_client(found[0])
        self.stdout.write(self.style.SUCCESS(f"App {found[0].name} removed."))

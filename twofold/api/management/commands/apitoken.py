from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from twofold.accounts.models import User
from twofold.accounts.principal_names import normalise_principal_name
from twofold.api.models import ApiToken
from twofold.api.tokens import TokenRefused, create_token, is_live, parse_lifetime, revoke_token
from twofold.core import clock


class Command(BaseCommand):
    help = (
        "Create, list and revoke tokens for the REST API (/api/v1/). A token is sent as "
        "'Authorization: Bearer <token>'; its secret is shown once, at creation."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="Create a token and print it once.")
        create.add_argument("--name", required=True, help="What the token is for.")
        create.add_argument(
            "--scope",
            action="append",
            required=True,
            dest="scopes",
            choices=ApiToken.Scope.values,
            help="read, write or validate. Repeat for several.",
        )
        create.add_argument(
            "--expires-in",
            default=None,
            help="Lifetime, e.g. 12h, 90d or 8w (at most 730d). Without it the token lives "
            "until revoked.",
        )
        create.add_argument(
            "--created-by",
            default=None,
            metavar="ADMIN",
            help="The administrator the token acts for: the audit log names them as actor.",
        )
        actions.add_parser("list", help="List tokens (never their secrets).")
        revoke = actions.add_parser("revoke", help="Revoke a token: it stops working at once.")
        revoke.add_argument("id", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            if options["action"] == "list":
                self._list()
            elif options["action"] == "revoke":
                self._revoke(options["id"])
            else:
                self._create(options)
        except TokenRefused as refused:
            raise CommandError(refused.message) from None

    def _create(self, options: dict[str, Any]) -> None:
        lifetime = parse_lifetime(options["expires_in"]) if options["expires_in"] else None
        creator = None
        if options["created_by"]:
            name = normalise_principal_name(options["created_by"])
            creator = User.objects.filter(username=name, is_staff=True, is_active=True).first()
            if creator is None:
                raise CommandError(f"There is no active administrator named {name}.")
        token, raw = create_token(
            options["name"], options["scopes"], lifetime=lifetime, created_by=creator
        )
        self.stdout.write(self.style.SUCCESS(f"Token {token.pk} ({token.name}) created."))
        self.stdout.write(f"token (shown once): {raw}")

    def _list(self) -> None:
        now = clock.now()
        for token in ApiToken.objects.order_by("id"):
            if token.revoked_at is not None:
                state = f"revoked {token.revoked_at:%Y-%m-%d %H:%M}"
            elif not is_live(token, now):
                state = "expired"
            else:
                state = "active"
            expires = f"{token.expires_at:%Y-%m-%d %H:%M}" if token.expires_at else "never"
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "never"
            self.stdout.write(
                f"{token.pk}  {token.name}  {','.join(token.scopes)}  {state}\n"
                f"    created {token.created_at:%Y-%m-%d %H:%M}  expires {expires}  "
                f"last used {used}"
            )

    def _revoke(self, token_id: int) -> None:
        if not revoke_token(token_id):
            raise CommandError(f"There is no active token with id {token_id}.")
        self.stdout.write(self.style.SUCCESS(f"Token {token_id} revoked."))

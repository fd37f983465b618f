from __future__ import annotations

import hashlib
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from oauth2_provider.models import AbstractApplication, get_refresh_token_model
from oauth2_provider.oauth2_validators import OAuth2Validator
from oauthlib.oauth2.rfc6749 import errors

from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.oidc.models import AuthorizationContext
from twofold.oidc.server import GRANT_TYPES
from twofold.oidc.services import revoke_code_tokens, token_checksum


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _http_request(request: Any) -> HttpRequest:
    """Just enough of the Django request behind an oauthlib one for an audit row
    (address and user agent; the toolkit passes META on as the headers)."""
    http_request = HttpRequest()
    http_request.META = dict(request.headers or {})
    return http_request


class TwofoldValidator(OAuth2Validator):
    oidc_claim_scope = OAuth2Validator.oidc_claim_scope | {
        "amr": "openid",
        "acr": "openid",
        "name": "profile",
        "preferred_username": "profile",
        "groups": "profile",
        "email": "email",
    }

    # --- Which flows.

    def validate_grant_type(
        self, client_id: str, grant_type: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        # Behind the server's own list: only authorization-code clients, only the code and
        # refresh grants, whatever a client was registered with before.
        code_client = client.allows_grant_type(AbstractApplication.GRANT_AUTHORIZATION_CODE)
        if grant_type not in GRANT_TYPES or not code_client:
            record_event(
                AuditEvent.Kind.OIDC_GRANT_REFUSED,
                request=_http_request(request),
                client_id=client_id,
                grant_type=grant_type,
            )
            return False
        return bool(super().validate_grant_type(client_id, grant_type, client, request))

    def validate_response_type(
        self,
        client_id: str,
        response_type: str,
        client: Any,
        request: Any,
        *args: Any,
        **kwargs: Any,
    ) -> bool:
        # No implicit or hybrid flow: tokens never travel in a browser URL.
        return response_type == "code" and client.allows_grant_type(
            AbstractApplication.GRANT_AUTHORIZATION_CODE
        )

    # --- prompt=none (OpenID Connect Core 3.1.2.1).

    def validate_silent_login(self, request: Any) -> bool:
        # The authorization view answers login_required for a browser that is not signed in
        # (or signed in too long ago for max_age) before oauthlib asks.
        return True

    def validate_silent_authorization(self, request: Any) -> bool:
        # Only an app trusted without a consent screen can answer silently.
        return bool(request.client is not None and request.client.skip_authorization)

    # --- Authorization codes: one use; a second use revokes what the first one got.

    def validate_code(
        self, client_id: str, code: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        if super().validate_code(client_id, code, client, request, *args, **kwargs):
            return True
        context = AuthorizationContext.objects.filter(
            code_digest=code_digest(code), exchanged_at__isnull=False
        ).first()
        if context is not None:
            # RFC 6749 4.1.2: a code used twice was copied; revoke what it was exchanged for.
            self._code_reused(context, request)
        return False

    def save_bearer_token(
        self, token: dict[str, Any], request: Any, *args: Any, **kwargs: Any
    ) -> Any:
        context = self._redeem_code(request) if request.grant_type == "authorization_code" else None
        saved = super().save_bearer_token(token, request, *args, **kwargs)
        if context is not None:
            self._remember_tokens(context, token, request)
        return saved

    def _redeem_code(self, request: Any) -> AuthorizationContext | None:
        digest = code_digest(request.code)
        # One atomic update decides which of two racing requests with one code wins.
        won = AuthorizationContext.objects.filter(
            code_digest=digest, exchanged_at__isnull=True
        ).update(exchanged_at=timezone.now())
        context = AuthorizationContext.objects.filter(code_digest=digest).first()
        if context is not None and not won:
            self._code_reused(context, request)
            raise errors.InvalidGrantError(request=request)
        return context

    def _remember_tokens(
        self, context: AuthorizationContext, token: dict[str, Any], request: Any
    ) -> None:
        refresh = token.get("refresh_token")
        family = None
        if refresh:
            family = (
                get_refresh_token_model()
                .objects.filter(token_checksum=token_checksum(refresh))
                .values_list("token_family", flat=True)
                .first()
            )
        AuthorizationContext.objects.filter(pk=context.pk).update(
            token_family=family, access_token_checksum=token_checksum(token["access_token"])
        )
        record_event(
            AuditEvent.Kind.OIDC_APP_SIGNIN,
            user=request.user,
            request=_http_request(request),
            client_id=request.client.client_id,
            app=request.client.name,
            amr=context.amr,
        )

    def _code_reused(self, context: AuthorizationContext, request: Any) -> None:
        owner = None
        if context.token_family:
            first = (
                get_refresh_token_model()
                .objects.filter(token_family=context.token_family)
                .select_related("user")
                .first()
            )
            owner = first.user if first is not None else None
        revoked = revoke_code_tokens(context)
        record_event(
            AuditEvent.Kind.OIDC_CODE_REUSED,
            user=owner,
            request=_http_request(request),
            client_id=getattr(request, "client_id", "") or "",
            tokens_revoked=revoked,
        )

    # --- Refresh tokens: the toolkit revokes the family on reuse; Twofold records it.

    def validate_refresh_token(
        self, refresh_token: str, client: Any, request: Any, *args: Any, **kwargs: Any
    ) -> bool:
        stale = (
            get_refresh_token_model()
            .objects.filter(token_checksum=token_checksum(refresh_token), revoked__isnull=False)
            .select_related("user", "application")
            .first()
        )
        family_was_live = bool(
            stale is not None
            and stale.token_family
            and get_refresh_token_model()
            .objects.filter(token_family=stale.token_family, revoked__isnull=True)
            .exists()
        )
        valid = bool(super().validate_refresh_token(refresh_token, client, request))
        if not valid and family_was_live:
            assert stale is not None
            record_event(
                AuditEvent.Kind.OIDC_REFRESH_TOKEN_REUSED,
                user=stale.user,
                request=_http_request(request),
                client_id=stale.application.client_id,
            )
        return valid

    # --- Claims.

    def get_additional_claims(self, request: Any) -> dict[str, Any]:
        user = request.user
        claims: dict[str, Any] = {
            "name": user.name_to_show,
            "preferred_username": user.username,
            "email": user.email,
            "groups": list(user.groups.values_list("name", flat=True)),
        }
        context = self._context(request)
        if context is not None:
            claims["amr"] = context.amr
            claims["acr"] = context.acr
        return claims

    def get_id_token_dictionary(
        self, token: Any, token_handler: Any, request: Any
    ) -> tuple[dict[str, Any], Any]:
        claims, expires = super().get_id_token_dictionary(token, token_handler, request)
        context = self._context(request)
        if context is not None and context.auth_time is not None:
            # When this browser session signed in, not the user's latest sign-in anywhere
            # (the toolkit's last_login), so an app's max_age check means what it says.
            claims["auth_time"] = int(context.auth_time.timestamp())
        return claims, expires

    @staticmethod
    def _context(request: Any) -> AuthorizationContext | None:
        """How the user signed in: by the code, or, on refresh, by the token family.

        Looked up once per token request: the claims and the ID token both ask.
        """
        if not hasattr(request, "_twofold_context"):
            request._twofold_context = _find_context(request)
        context: AuthorizationContext | None = request._twofold_context
        return context


def _find_context(request: Any) -> AuthorizationContext | None:
    code = getattr(request, "code", None)
    if code:
        return AuthorizationContext.objects.filter(code_digest=code_digest(code)).first()
    refresh = getattr(request, "refresh_token_instance", None)
    if refresh is not None and refresh.token_family:
        return AuthorizationContext.objects.filter(token_family=refresh.token_family).first()
    return None

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import resolve_url
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.exceptions import OAuthToolkitError
from oauth2_provider.models import get_application_model, get_refresh_token_model
from oauth2_provider.views import (
    AuthorizationView,
    ConnectDiscoveryInfoView,
    RPInitiatedLogoutView,
)
from oauth2_provider.views import UserInfoView as ToolkitUserInfoView
from oauthlib.common import add_params_to_uri

from twofold.accounts.models import User
from twofold.accounts.sessions import SESSION_AMR, SESSION_SIGNED_IN_AT
from twofold.core import clock
from twofold.oidc.claims import (
    ACR_MFA,
    ACR_MFA_REQUESTS,
    ACR_PASSWORD,
    CLAIMS_SUPPORTED,
    acr_value,
    amr_values,
)
from twofold.oidc.models import AuthorizationContext
from twofold.oidc.server import GRANT_TYPES
from twofold.oidc.services import issuer
from twofold.oidc.validators import code_digest
from twofold.policy.services import usable_registered_methods
from twofold.signin.services import sign_out

# An unused code's context outlives the code (60 s) by far; a redeemed one lives as long as
# its refresh token family, for the amr/acr of refreshed ID tokens and code-reuse revocation.
_UNUSED_CONTEXT_LIFETIME = dt.timedelta(hours=1)
_REDEEMED_CONTEXT_MIN_AGE = dt.timedelta(days=1)


class TwofoldAuthorizationView(AuthorizationView):
    """The toolkit's authorization endpoint, plus OpenID Connect's prompt and max_age,
    two-step step-up (acr_values) and a record of how the user signed in."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Anonymous browsers never get here: dispatch sent them to sign in, or answered
        # prompt=none with login_required. The request is checked first, so a forged one
        # can neither sign anyone out nor reach a redirect URI that is not registered.
        try:
            _scopes, credentials = self.validate_authorization_request(request)
        except OAuthToolkitError as error:
            return self.error_response(error, application=None)
        prompt = set(request.GET.get("prompt", "").split())
        max_age = request.GET.get("max_age", "")
        if max_age and not max_age.isdigit():
            return self._error_redirect(credentials, "invalid_request", "max_age")
        needs_sign_in = "login" in prompt or bool(
            max_age and self._auth_age(request) > int(max_age)
        )
        needs_mfa = self._wants_mfa(request) and not self._has_mfa(request)
        if "none" in prompt and needs_sign_in:
            return self._error_redirect(credentials, "login_required")
        if "none" in prompt and needs_mfa:
            return self._error_redirect(credentials, "interaction_required")
        if needs_sign_in:
            return self._sign_in_again(request)
        if needs_mfa:
            assert isinstance(request.user, User)
            if not usable_registered_methods(request.user, for_two_step=True):
                return self._error_redirect(
                    credentials,
                    "access_denied",
                    "two-step verification is not set up for this user",
                )
            # The app asked for two-step verification: verify now, then come back here.
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('securityinfo_verify_identity')}?{query}")
        response = super().get(request, *args, **kwargs)
        self._remember_how(request, response)
        return response

    def post(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        response = super().post(request, *args, **kwargs)
        self._remember_how(request, response)
        return response

    def handle_prompt_login(self) -> HttpResponse:
        return self._sign_in_again(self.request)

    def _sign_in_again(self, request: HttpRequest) -> HttpResponse:
        """prompt=login or a max_age exceeded: a fresh sign-in, then this request again.

        Twofold's sign-in page sends a signed-in browser straight on, so the session ends
        first. The way back drops prompt and max_age, which the new sign-in satisfies.
        """
        if request.user.is_authenticated:
            sign_out(request)
        parts = urlsplit(request.get_full_path())
        query = [(k, v) for k, v in parse_qsl(parts.query) if k not in {"prompt", "max_age"}]
        back = f"{parts.path}?{urlencode(query)}"
        return redirect_to_login(back, resolve_url(self.get_login_url()))

    @staticmethod
    def _auth_age(request: HttpRequest) -> float:
        signed_in_at = request.session.get(SESSION_SIGNED_IN_AT)
        if not signed_in_at:
            return float("inf")
        return (clock.now() - dt.datetime.fromisoformat(signed_in_at)).total_seconds()

    @staticmethod
    def _wants_mfa(request: HttpRequest) -> bool:
        requested = set(request.GET.get("acr_values", "").split())
        return bool(requested & ACR_MFA_REQUESTS)

    @staticmethod
    def _has_mfa(request: HttpRequest) -> bool:
        return "mfa" in amr_values(list(request.session.get(SESSION_AMR, ["pwd"])))

    def _error_redirect(
        self, credentials: dict[str, Any], error: str, description: str = ""
    ) -> HttpResponse:
        """An OpenID Connect error response (Core 3.1.2.6) to the validated redirect URI."""
        params = [("error", error)]
        if description:
            params.append(("error_description", description))
        if credentials.get("state"):
            params.append(("state", credentials["state"]))
        params.append(("iss", issuer()))  # RFC 9207, as on every authorization response
        application = get_application_model().objects.get(client_id=credentials["client_id"])
        return self.redirect(add_params_to_uri(credentials["redirect_uri"], params), application)

    @staticmethod
    def _remember_how(request: HttpRequest, response: HttpResponse) -> None:
        location = response.get("Location", "")
        code = parse_qs(urlsplit(location).query).get("code", [""])[0]
        if not code:
            return
        amr = amr_values(list(request.session.get(SESSION_AMR, ["pwd"])))
        signed_in_at = request.session.get(SESSION_SIGNED_IN_AT)
        AuthorizationContext.objects.create(
            code_digest=code_digest(code),
            amr=amr,
            acr=acr_value(amr),
            auth_time=dt.datetime.fromisoformat(signed_in_at) if signed_in_at else None,
        )
        _forget_old_contexts()


def _forget_old_contexts() -> None:
    now = timezone.now()  # created_at is written with the database clock's idea of now
    AuthorizationContext.objects.filter(
        exchanged_at__isnull=True, created_at__lt=now - _UNUSED_CONTEXT_LIFETIME
    ).delete()
    live_families = get_refresh_token_model().objects.filter(token_family__isnull=False)
    AuthorizationContext.objects.filter(
        exchanged_at__isnull=False, created_at__lt=now - _REDEEMED_CONTEXT_MIN_AGE
    ).exclude(token_family__in=live_families.values("token_family")).delete()


class UserInfoView(ToolkitUserInfoView):
    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        # Access tokens only in the Authorization header (RFC 6750 2.1): one in a URL ends
        # up in logs and Referer headers (RFC 9700 4.3.2), one in a form body can be sent
        # by any page.
        if "access_token" in request.GET or "access_token" in request.POST:
            response = JsonResponse(
                {
                    "error": "invalid_request",
                    "error_description": "Send the access token in the Authorization header.",
                },
                status=400,
            )
            response["WWW-Authenticate"] = 'Bearer error="invalid_request"'
            return response
        return super().dispatch(request, *args, **kwargs)


class LogoutView(RPInitiatedLogoutView):
    def do_logout(
        self,
        application: Any = None,
        post_logout_redirect_uri: str | None = None,
        state: str | None = None,
        token_user: Any = None,
    ) -> HttpResponse:
        user = self.request.user if self.request.user.is_authenticated else None
        sign_out(self.request)  # Twofold's, with its audit row
        return super().do_logout(application, post_logout_redirect_uri, state, token_user or user)


class DiscoveryView(ConnectDiscoveryInfoView):
    """The toolkit's discovery document, saying only what Twofold supports."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        toolkit_response = super().get(request, *args, **kwargs)
        data = json.loads(toolkit_response.content)
        data.update(
            {
                "grant_types_supported": list(GRANT_TYPES),
                "response_modes_supported": ["query"],
                "id_token_signing_alg_values_supported": ["RS256"],
                "claims_supported": CLAIMS_SUPPORTED,
                "acr_values_supported": [ACR_PASSWORD, ACR_MFA],
                "revocation_endpoint": self._get_endpoint_url(request, "revoke-token"),
                "revocation_endpoint_auth_methods_supported": data[
                    "token_endpoint_auth_methods_supported"
                ],
                # Unless said, OpenID Connect Discovery defaults request_uri support to true.
                "request_parameter_supported": False,
                "request_uri_parameter_supported": False,
                "claims_parameter_supported": False,
            }
        )
        response = JsonResponse(data)
        response["Access-Control-Allow-Origin"] = "*"
        return response

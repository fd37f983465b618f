from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from oauth2_provider.views import AuthorizationView

from twofold.accounts.models import User
from twofold.accounts.sessions import SESSION_AMR
from twofold.core import clock
from twofold.oidc.claims import ACR_MFA_REQUESTS, acr_value, amr_values
from twofold.oidc.models import AuthorizationContext
from twofold.oidc.validators import code_digest
from twofold.policy.services import usable_registered_methods


class TwofoldAuthorizationView(AuthorizationView):
    """DOT's authorization endpoint, plus two-step step-up and how the user signed in."""

    def get(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if (
            request.user.is_authenticated
            and self._wants_mfa(request)
            and not self._has_mfa(request)
        ):
            assert isinstance(request.user, User)
            if not usable_registered_methods(request.user, for_two_step=True):
                return self._refuse(request, "two-step verification is not set up for this user")
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

    @staticmethod
    def _wants_mfa(request: HttpRequest) -> bool:
        requested = set(request.GET.get("acr_values", "").split())
        return bool(requested & ACR_MFA_REQUESTS)

    @staticmethod
    def _has_mfa(request: HttpRequest) -> bool:
        return "mfa" in amr_values(list(request.session.get(SESSION_AMR, ["pwd"])))

    @staticmethod
    def _remember_how(request: HttpRequest, response: HttpResponse) -> None:
        location = response.get("Location", "")
        code = parse_qs(urlsplit(location).query).get("code", [""])[0]
        if not code:
            return
        amr = amr_values(list(request.session.get(SESSION_AMR, ["pwd"])))
        AuthorizationContext.objects.create(
            code_digest=code_digest(code), amr=amr, acr=acr_value(amr)
        )
        # Codes live minutes; their contexts need not outlive them.
        AuthorizationContext.objects.filter(
            created_at__lt=clock.now() - dt.timedelta(hours=1)
        ).delete()

    @staticmethod
    def _refuse(request: HttpRequest, description: str) -> HttpResponse:
        redirect_uri = request.GET.get("redirect_uri", "")
        # Only a redirect URI registered for the client may receive the error.
        from oauth2_provider.models import get_application_model

        application = (
            get_application_model()
            .objects.filter(client_id=request.GET.get("client_id", ""))
            .first()
        )
        if application is None or not application.redirect_uri_allowed(redirect_uri):
            return HttpResponse(description, status=400, content_type="text/plain")
        query = urlencode(
            {
                "error": "access_denied",
                "error_description": description,
                "state": request.GET.get("state", ""),
            }
        )
        return HttpResponseRedirect(f"{redirect_uri}?{query}")

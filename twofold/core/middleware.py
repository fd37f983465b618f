from __future__ import annotations

import logging
import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from twofold.core import metrics

logger = logging.getLogger(__name__)

# No inline script or style anywhere in Twofold's pages, so the policy can stay strict.
_POLICY = [
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "font-src 'self'",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'none'",
    "frame-ancestors 'none'",
]
CONTENT_SECURITY_POLICY = "; ".join([*_POLICY, "form-action 'self'"])

# Browsers check form-action against every redirect that follows a form post: the page whose
# form finishes a sign-in must allow the app it ends at (OpenID Connect redirect URI, an app
# behind forward-auth). Apps add the origins a given page needs, from its request.
form_action_sources: list[Callable[[HttpRequest], list[str]]] = []


def content_security_policy(request: HttpRequest) -> str:
    extra: list[str] = []
    for source in form_action_sources:
        try:
            extra.extend(source(request))
        except Exception:  # a page must still be served when, say, the database is gone
            logger.warning("form-action source failed; keeping form-action 'self'", exc_info=True)
    if not extra:
        return CONTENT_SECURITY_POLICY
    return "; ".join([*_POLICY, " ".join(["form-action 'self'", *sorted(set(extra))])])


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Only pages carry forms; other answers keep the fixed policy and cost no lookup.
        is_page = response.status_code < 300 or response.status_code >= 400
        is_page = is_page and response.get("Content-Type", "").startswith("text/html")
        policy = content_security_policy(request) if is_page else CONTENT_SECURITY_POLICY
        response.headers.setdefault("Content-Security-Policy", policy)
        response.headers.setdefault(
            "Permissions-Policy", "camera=(), microphone=(), geolocation=()"
        )
        return response


class RequestMetricsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        started = time.perf_counter()
        response = self.get_response(request)
        match = getattr(request, "resolver_match", None)
        view = match.view_name if match else "unmatched"
        metrics.HTTP_REQUESTS.labels(request.method, view, str(response.status_code)).inc()
        metrics.HTTP_DURATION.labels(view).observe(time.perf_counter() - started)
        return response

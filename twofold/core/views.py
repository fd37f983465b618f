from __future__ import annotations

import hmac
import logging

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

from twofold.core import shared_cache
from twofold.core.network import is_loopback_request
from twofold.registration.services import registration_reminder

logger = logging.getLogger(__name__)


@login_required
@never_cache
def show_home(request: HttpRequest) -> HttpResponse:
    reminder = registration_reminder(request.user)  # type: ignore[arg-type]
    return render(request, "core/home.html", {"reminder": reminder})


@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"status": "ok"})


@require_GET
@never_cache
def readyz(request: HttpRequest) -> JsonResponse:
    checks = {"database": _database_ready(), "cache": _cache_ready()}
    ready = all(checks.values())
    payload = {"status": "ok" if ready else "unavailable"} | {
        name: "ok" if ok else "unreachable" for name, ok in checks.items()
    }
    return JsonResponse(payload, status=200 if ready else 503)


@require_GET
@never_cache
def metrics(request: HttpRequest) -> HttpResponse:
    # Metrics tell an outsider how many sign-ins fail and which views are busy: only this
    # machine, or a scraper with the token, may read them.
    token = settings.TWOFOLD_METRICS_TOKEN
    header = request.META.get("HTTP_AUTHORIZATION", "")
    if header:
        scheme, _space, offered = header.partition(" ")
        # Constant time: the comparison must not tell how much of a guess was right.
        if not (
            token
            and scheme.lower() == "bearer"
            and hmac.compare_digest(offered.strip().encode(), token.encode())
        ):
            response = HttpResponse(
                "Wrong metrics token.\n", status=401, content_type="text/plain; charset=utf-8"
            )
            response["WWW-Authenticate"] = 'Bearer realm="metrics"'
            return response
    elif not is_loopback_request(request):
        return HttpResponse(
            "Metrics are served to this machine only, or with TWOFOLD_METRICS_TOKEN "
            "as a bearer token.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    return HttpResponse(generate_latest(), content_type=CONTENT_TYPE_LATEST)


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    message = _(
        "This form has expired or was sent from another site. "
        "Go back, reload the page and try again."
    )
    return render(request, "core/error.html", {"message": message}, status=403)


def _database_ready() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:
        logger.warning("readiness: database unreachable", exc_info=True)
        return False
    return True


def _cache_ready() -> bool:
    # Through shared_cache: a load balancer asking every second logs an outage once.
    return shared_cache.set("readyz", "1", 5, what="readiness") and (
        shared_cache.get("readyz", what="readiness") == "1"
    )


def not_found(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(
        request, "core/error.html", {"message": _("There is no page at this address.")}, status=404
    )


def server_error(request: HttpRequest) -> HttpResponse:
    # No template context processors here: the failure may be in one of them.
    from django.template import loader

    body = loader.get_template("core/server_error.html").render(
        {"message": _("Something went wrong on our side. Try again in a moment.")}
    )
    return HttpResponse(body, status=500)


def bad_request(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("The request could not be read: it was too large or malformed.")
    return render(request, "core/error.html", {"message": message}, status=400)


def permission_denied(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    message = _("You don't have access to this page.")
    return render(request, "core/error.html", {"message": message}, status=403)

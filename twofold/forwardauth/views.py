"""Forward authentication for reverse proxies (nginx auth_request, Traefik, Caddy).

The proxy asks here before passing a request to an app: a signed-in browser (past any
registration interrupt) or an app password over HTTP Basic passes, with who it is in
Remote-* headers; anything else is refused (401), or sent to sign in (Traefik, Caddy).
"""

from __future__ import annotations

import base64
import binascii
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt

from twofold.accounts.models import User
from twofold.accounts.sessions import SESSION_INTERRUPT
from twofold.apppasswords.services import authenticate_app_password
from twofold.core.network import client_ip


@csrf_exempt  # nothing changes here; the proxy forwards whatever method the app got
@never_cache
def forward_auth(request: HttpRequest) -> HttpResponse:
    basic = _basic_credentials(request)
    user: User | None = None
    if basic is not None:
        # Non-browser apps: app passwords only; the account password never works here.
        user = authenticate_app_password(*basic, address=client_ip(request))
    elif request.user.is_authenticated and not request.session.get(SESSION_INTERRUPT):
        assert isinstance(request.user, User)
        user = request.user
    if user is not None:
        return _passed(user)
    original = _original_url(request)
    if basic is None and original and request.headers.get("X-Forwarded-Method"):
        # Traefik and Caddy pass the proxy's answer on to the browser: send it to sign in.
        query = urlencode({"next": original})
        return HttpResponseRedirect(
            f"{settings.TWOFOLD_PUBLIC_URL}{reverse('signin_show_form')}?{query}"
        )
    response = HttpResponse("Sign-in required", status=401, content_type="text/plain")
    response["WWW-Authenticate"] = 'Basic realm="Twofold", charset="UTF-8"'
    return response


def _passed(user: User) -> HttpResponse:
    response = HttpResponse(status=200)
    response["Remote-User"] = user.username
    response["Remote-Name"] = _header_safe(user.name_to_show)
    response["Remote-Email"] = user.email
    response["Remote-Groups"] = ",".join(user.groups.values_list("name", flat=True))
    return response


def _header_safe(value: str) -> str:
    # Header values are Latin-1 on the wire; a name outside it is sent without the extra letters.
    return value.encode("latin-1", "ignore").decode("latin-1").replace("\r", "").replace("\n", "")


def _basic_credentials(request: HttpRequest) -> tuple[str, str] | None:
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("basic "):
        return None
    try:
        decoded = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ("", "")
    name, _sep, password = decoded.partition(":")
    return name, password


def _original_url(request: HttpRequest) -> str:
    """The address the browser asked the proxy for, if it's one we may send people back to."""
    host = request.headers.get("X-Forwarded-Host", "")
    proto = request.headers.get("X-Forwarded-Proto", "https")
    uri = request.headers.get("X-Forwarded-Uri") or request.headers.get("X-Original-URI") or "/"
    url = f"{proto}://{host}{uri}"
    allowed = set(settings.TWOFOLD_FORWARD_AUTH_HOSTS)
    if host and url_has_allowed_host_and_scheme(url, allowed_hosts=allowed):
        return url
    return ""

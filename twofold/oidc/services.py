"""OpenID Connect clients and the tokens issued to them."""

from __future__ import annotations

import hashlib
import ipaddress
import logging
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.http import HttpRequest
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from oauth2_provider.generators import generate_client_secret
from oauth2_provider.models import (
    get_access_token_model,
    get_application_model,
    get_grant_model,
    get_id_token_model,
    get_refresh_token_model,
)
from oauth2_provider.settings import oauth2_settings

from twofold.accounts.sessions import SESSION_NEXT
from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event
from twofold.core import clock
from twofold.oidc.models import AuthorizationContext

logger = logging.getLogger(__name__)


def issuer() -> str:
    """The issuer identifier: TWOFOLD_PUBLIC_URL + /o, whatever Host a request names."""
    return str(oauth2_settings.OIDC_ISS_ENDPOINT)


def token_checksum(token: str) -> str:
    """How the toolkit finds a token it stores hashed (sha256 of the raw value)."""
    return hashlib.sha256(token.encode()).hexdigest()


# --- Redirect URIs.


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def redirect_uri_problem(uri: str) -> str | None:
    """Why ``uri`` cannot be registered as a redirect address, or None when it can.

    Exact matching only (RFC 9700 4.1.1): no wildcards, no fragment (RFC 6749 3.1.2);
    https, or http to a loopback address for native apps (RFC 8252 7.3).
    """
    if not uri or any(ch.isspace() for ch in uri):
        return _("%(uri)s is not a single address.") % {"uri": uri}
    try:
        parts = urlsplit(uri)
        host = parts.hostname or ""
        parts.port  # noqa: B018  (raises ValueError for a port that is not a number)
    except ValueError:
        return _("%(uri)s is not a valid address.") % {"uri": uri}
    if "*" in uri:
        return _("%(uri)s contains a wildcard; register each address exactly.") % {"uri": uri}
    if "#" in uri:
        return _("%(uri)s contains a fragment (#), which redirect addresses may not have.") % {
            "uri": uri
        }
    if parts.scheme not in {"https", "http"} or not host:
        return _("%(uri)s is not an http(s) address.") % {"uri": uri}
    if "@" in parts.netloc:
        return _("%(uri)s contains a user name or password.") % {"uri": uri}
    if parts.scheme == "http" and not _is_loopback(host):
        return _("%(uri)s must use https (http is allowed only for loopback addresses).") % {
            "uri": uri
        }
    return None


def redirect_uri_problems(uris: list[str]) -> list[str]:
    return [problem for problem in map(redirect_uri_problem, uris) if problem]


# --- Clients.


@dataclass(frozen=True)
class NewClient:
    client_id: str
    client_secret: str  # empty for a public client; shown once, stored hashed


def add_client(
    name: str,
    redirect_uris: list[str],
    *,
    post_logout_redirect_uris: list[str] | None = None,
    public: bool = False,
    ask_consent: bool = False,
) -> NewClient:
    """Register an app: authorization code with PKCE S256 only, ID tokens signed RS256."""
    application_model = get_application_model()
    secret = "" if public else generate_client_secret()
    app = application_model.objects.create(
        name=name,
        client_type=application_model.CLIENT_PUBLIC
        if public
        else application_model.CLIENT_CONFIDENTIAL,
        authorization_grant_type=application_model.GRANT_AUTHORIZATION_CODE,
        redirect_uris=" ".join(redirect_uris),
        post_logout_redirect_uris=" ".join(post_logout_redirect_uris or []),
        client_secret=secret,
        algorithm=application_model.RS256_ALGORITHM,
        skip_authorization=not ask_consent,
    )
    record_event(
        AuditEvent.Kind.OIDC_CLIENT_ADDED,
        client_id=app.client_id,
        name=name,
        redirect_uris=redirect_uris,
        by="command line",
    )
    return NewClient(client_id=app.client_id, client_secret=secret)


def find_clients(name_or_client_id: str) -> list[Any]:
    return list(
        get_application_model().objects.filter(
            Q(client_id=name_or_client_id) | Q(name=name_or_client_id)
        )
    )


def remove_client(app: Any, *, actor: Any = None, request: HttpRequest | None = None) -> None:
    """Delete an app; its grants and tokens go with it."""
    client_id, name = app.client_id, app.name
    app.delete()
    record_event(
        AuditEvent.Kind.OIDC_CLIENT_REMOVED,
        actor=actor,
        request=request,
        client_id=client_id,
        name=name,
        by="admin" if request is not None else "command line",
    )


# --- Tokens.


def revoke_code_tokens(context: AuthorizationContext) -> int:
    """Revoke every token issued from one authorization code: its refresh token family
    (each rotation since) and the first access token. Returns how many were live."""
    refresh_model = get_refresh_token_model()
    access_model = get_access_token_model()
    with transaction.atomic():
        live = 0
        if context.token_family:
            live += refresh_model.objects.filter(
                token_family=context.token_family, revoked__isnull=True
            ).count()
            refresh_model.revoke_family(context.token_family)
        if context.access_token_checksum:
            deleted, _rows = access_model.objects.filter(
                token_checksum=context.access_token_checksum
            ).delete()
            live += deleted
    return live


def revoke_app_sign_ins(user: Any) -> int:
    """End every app sign-in of a user: refresh tokens revoked, access and ID tokens and
    unused authorization codes deleted. Returns how many refresh and access tokens were live.

    An ID token an app already holds stays a signed statement until it expires; what ends
    here is every way to get a new one or to call userinfo with an old access token.
    """
    refresh_model = get_refresh_token_model()
    access_model = get_access_token_model()
    with transaction.atomic():
        live_refresh = refresh_model.objects.filter(user=user, revoked__isnull=True)
        # Revoked, not deleted, like the toolkit's own rotation: the rows stay for the audit.
        live = live_refresh.update(revoked=clock.now())
        _total, by_model = access_model.objects.filter(user=user).delete()
        live += by_model.get(access_model._meta.label, 0)
        get_id_token_model().objects.filter(user=user).delete()
        get_grant_model().objects.filter(user=user).delete()
    return live


# --- Content Security Policy.


def form_action_origins(request: HttpRequest) -> list[str]:
    """The app origins a form on this page may end at (CSP form-action), and no others.

    Browsers check form-action against every redirect after a form post (verified in
    Chromium), so the page whose form completes a sign-in must allow the app it returns
    to: the one redirect URI of the authorization request being completed (the sign-in,
    step-up and wizard pages carry it in ``next``; the consent page is the authorization
    request itself), the post-logout address on the logout confirmation, or the
    forward-auth app in ``next``.
    """
    targets = [request.GET.get("next", "")]
    if request.path in {_authorize_path(), _logout_path()}:
        targets.append(request.get_full_path())
    if request.method == "POST":
        try:
            targets.append(request.POST.get("next", ""))
        except Exception:  # a body already read as a stream; nothing to learn from it
            logger.debug("request body not readable as a form")
    session = getattr(request, "session", None)
    if session is not None:
        targets.append(session.get(SESSION_NEXT, ""))
    # The same target often comes by several ways (the URL, the form, the session):
    # look each one up once.
    origins = {_target_origin(request, target) for target in set(targets) if target}
    return sorted(origin for origin in origins if origin)


def _authorize_path() -> str:
    return reverse("oauth2_provider:authorize")


def _logout_path() -> str:
    return reverse("oauth2_provider:rp-initiated-logout")


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


def _target_origin(request: HttpRequest, target: str) -> str | None:
    parts = urlsplit(target)
    if parts.netloc and parts.netloc != request.get_host():
        forward_auth_hosts = set(settings.TWOFOLD_FORWARD_AUTH_HOSTS)
        if url_has_allowed_host_and_scheme(target, allowed_hosts=forward_auth_hosts):
            return _origin(target)
        return None
    query = {key: values[-1] for key, values in parse_qs(parts.query).items()}
    if parts.path == _authorize_path():
        return _redirect_uri_origin(query.get("client_id", ""), query.get("redirect_uri", ""))
    if parts.path == _logout_path():
        return _post_logout_origin(
            query.get("client_id", ""), query.get("post_logout_redirect_uri", "")
        )
    return None


def _redirect_uri_origin(client_id: str, redirect_uri: str) -> str | None:
    app = get_application_model().objects.filter(client_id=client_id).first() if client_id else None
    if app is None:
        return None
    if not redirect_uri:
        registered = app.redirect_uris.split()
        redirect_uri = registered[0] if len(registered) == 1 else ""
    if redirect_uri and app.redirect_uri_allowed(redirect_uri):
        return _origin(redirect_uri)
    return None


def _post_logout_origin(client_id: str, uri: str) -> str | None:
    if not uri:
        return None
    candidates = get_application_model().objects.filter(post_logout_redirect_uris__contains=uri)
    if client_id:
        candidates = candidates.filter(client_id=client_id)
    if any(app.post_logout_redirect_uri_allowed(uri) for app in candidates[:20]):
        return _origin(uri)
    return None

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.cache import cache

from twofold.core.caching import cache_seconds

logger = logging.getLogger(__name__)

_ORIGINS_KEY = "oidc:redirect-origins"


def redirect_origins() -> list[str]:
    """Origins of every registered redirect URI, and of apps behind forward-auth (cached)."""
    try:
        cached = cache.get(_ORIGINS_KEY)
    except Exception:
        cached = None
    if cached is not None:
        return list(cached)
    from oauth2_provider.models import get_application_model

    origins = set()
    for uris in get_application_model().objects.values_list("redirect_uris", flat=True):
        for uri in uris.split():
            parts = urlsplit(uri)
            if parts.scheme in {"http", "https"} and parts.netloc:
                origins.add(f"{parts.scheme}://{parts.netloc}")
    origins.update(settings.TWOFOLD_FORWARD_AUTH_HOSTS)
    try:
        cache.set(_ORIGINS_KEY, sorted(origins), cache_seconds(60))
    except Exception:
        logger.warning("cache unreachable; redirect origins not cached")
    return sorted(origins)


def forget_redirect_origins(**kwargs: object) -> None:
    try:
        cache.delete(_ORIGINS_KEY)
    except Exception:
        logger.warning("cache unreachable; redirect origins may be stale for a minute")

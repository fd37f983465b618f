from __future__ import annotations

from django.conf import settings


def cache_seconds(wanted: int) -> int:
    """How long to cache something that edits clear by signal.

    A signal clears a shared cache (Redis) for every process; a process-local cache only
    for the process that made the edit, so there the value may live just briefly.
    """
    shared = "redis" in str(settings.CACHES["default"]["BACKEND"]).lower()
    return wanted if shared else 2

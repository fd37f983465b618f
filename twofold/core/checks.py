"""System checks that refuse unsafe combinations of settings."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.checks import CheckMessage, Error, Warning, register

_LOCAL_HOSTS = {"localhost", "127.0.0.1", "[::1]", "testserver"}


@register("security", deploy=False)
def check_safe_combinations(app_configs: Any, **kwargs: Any) -> list[CheckMessage]:
    problems: list[CheckMessage] = []
    if settings.DEBUG and settings.TWOFOLD_SMS_GATEWAY not in {"devphone"}:
        problems.append(
            Error(
                "TWOFOLD_DEBUG is on while a real SMS gateway is configured.",
                hint="Debug pages can show secrets; turn TWOFOLD_DEBUG off in production.",
                id="twofold.E001",
            )
        )
    public_hosts = set(settings.ALLOWED_HOSTS) - _LOCAL_HOSTS
    if public_hosts and not settings.SESSION_COOKIE_SECURE:
        problems.append(
            Warning(
                "Cookies are sent without the Secure flag to non-local hosts.",
                hint="Leave TWOFOLD_COOKIE_SECURE on and serve Twofold over HTTPS.",
                id="twofold.W001",
            )
        )
    if "*" in settings.ALLOWED_HOSTS:
        problems.append(
            Error(
                "TWOFOLD_ALLOWED_HOSTS contains '*'.",
                hint="List the host names Twofold is served on; '*' allows host-header attacks.",
                id="twofold.E002",
            )
        )
    return problems

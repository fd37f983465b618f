"""A short, readable name for a browser ("Firefox on Windows") from its User-Agent header,
for the app to show next to a sign-in request."""

from __future__ import annotations

from twofold.core.useragents import parse_user_agent


def describe_browser(user_agent: str) -> str:
    parsed = parse_user_agent(user_agent)
    if parsed.browser and parsed.system:
        return f"{parsed.browser} on {parsed.system}"
    return parsed.browser or parsed.system or ""

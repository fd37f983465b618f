from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The caller's address; X-Forwarded-For is trusted only behind a configured proxy.

    Trusting the header unconditionally would let an attacker pick a fresh "IP"
    per request and walk around every per-IP rate limit.
    """
    return address_of(
        request.META.get("REMOTE_ADDR", ""), request.META.get("HTTP_X_FORWARDED_FOR", "")
    )


def address_of(remote_addr: str, forwarded_for: str) -> str:
    """client_ip() from the connection's address and the X-Forwarded-For header."""
    if settings.TWOFOLD_TRUST_X_FORWARDED_FOR:
        # The proxy appends the address it saw; the right-most entry is the one it vouches for.
        candidate = forwarded_for.split(",")[-1].strip() if forwarded_for else ""
        if candidate and _is_ip(candidate):
            return candidate
    return remote_addr or "0.0.0.0"  # noqa: S104


def user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:512]


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True

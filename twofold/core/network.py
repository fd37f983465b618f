from __future__ import annotations

import ipaddress
import re

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
    # An address to count by, not one to bind to.
    return remote_addr or "0.0.0.0"  # noqa: S104  # nosec B104


def user_agent(request: HttpRequest) -> str:
    return request.META.get("HTTP_USER_AGENT", "")[:512]


def _is_ip(value: str) -> bool:
    try:
        ipaddress.ip_address(value)
    except ValueError:
        return False
    return True


# Headers a reverse proxy adds with the address it received the request from.
_FORWARDING_HEADERS = ("HTTP_X_FORWARDED_FOR", "HTTP_X_REAL_IP", "HTTP_FORWARDED")
_FORWARDED_FOR = re.compile(r'(?i)for="?\[?([^\]";,]+)')


def is_loopback_request(request: HttpRequest) -> bool:
    """Whether the request comes from this machine, and not through a proxy on it.

    The Host header proves nothing (anyone can send ``Host: 127.0.0.1``), and a reverse
    proxy on the same machine connects from 127.0.0.1 for every visitor: so the connection
    must be from a loopback address and every forwarding header, trusted or not, must name
    loopback addresses only. A local user can forge those headers only to lock themselves out.
    """
    if not _is_loopback(client_ip(request)) or not _is_loopback(
        request.META.get("REMOTE_ADDR", "")
    ):
        return False
    for header in _FORWARDING_HEADERS:
        value = request.META.get(header, "")
        if not value:
            continue
        if header == "HTTP_FORWARDED":
            addresses = _FORWARDED_FOR.findall(value) or [value]
        else:
            addresses = value.split(",")
        if not all(_is_loopback(address.strip()) for address in addresses):
            return False
    return True


def _is_loopback(value: str) -> bool:
    try:
        address = ipaddress.ip_address(value)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:
        return address.ipv4_mapped.is_loopback
    return address.is_loopback


LOCATION_MAX_LENGTH = 100


def proxy_location(request: HttpRequest) -> str:
    """The caller's location as the trusted reverse proxy gave it (TWOFOLD_LOCATION_HEADER).

    Only behind a configured proxy, on a request that came through it (it added
    X-Forwarded-For): anyone else could send the header and make a sign-in look local.
    """
    header = settings.TWOFOLD_LOCATION_HEADER
    if not (header and settings.TWOFOLD_TRUST_X_FORWARDED_FOR):
        return ""
    if not request.META.get("HTTP_X_FORWARDED_FOR", ""):
        return ""
    value = request.headers.get(header, "")
    # Printable and short: it is shown to people and kept in exported logs.
    return "".join(ch for ch in value if ch.isprintable()).strip()[:LOCATION_MAX_LENGTH]

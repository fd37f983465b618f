"""Prometheus metrics exported at /metrics."""

from __future__ import annotations

from prometheus_client import Counter, Histogram

HTTP_REQUESTS = Counter(
    "twofold_http_requests_total", "HTTP requests handled.", ["method", "view", "status"]
)
HTTP_DURATION = Histogram(
    "twofold_http_request_duration_seconds", "Time spent handling a request.", ["view"]
)
SIGNIN_ATTEMPTS = Counter(
    "twofold_signin_attempts_total", "Password sign-in attempts by outcome.", ["outcome"]
)
AUDIT_EVENTS = Counter("twofold_audit_events_total", "Audit events written.", ["event"])

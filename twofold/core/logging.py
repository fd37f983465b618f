from __future__ import annotations

import logging
import re

# Values of these keys never reach a log line, whatever logged them.
_SECRET_PATTERN = re.compile(
    r"(?i)(password\d?|passwd|secret|token|code|otp|sessionid)"
    r"(['\"]?\s*[=:]\s*['\"]?)([^\s&,'\"]+)"
)


class RedactSecretsFilter(logging.Filter):
    """Masks obvious secrets (password=..., token: ...) in log messages."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_PATTERN.sub(r"\1\2[redacted]", message)
        if redacted != message:
            record.msg = redacted
            record.args = None
        return True


class DropQueryStringFilter(logging.Filter):
    """Drops the query string from uvicorn's access log lines.

    The device API is authenticated by a signature in the poll URL's query string, and
    other query strings carry codes and states: a log reader must not be able to replay them.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        # uvicorn.access logs (client, method, path with query, HTTP version, status).
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str):
            record.args = (*args[:2], args[2].split("?", 1)[0], *args[3:])
        return True

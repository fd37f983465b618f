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

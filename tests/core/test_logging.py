from __future__ import annotations

import logging

import pytest

from twofold.core.logging import RedactSecretsFilter


@pytest.mark.parametrize(
    "message",
    [
        "POST body password=hunter22&username=adele",
        "new_password1=hunter22",
        '{"password": "hunter22"}',
        "token: hunter22",
        "otp=hunter22 accepted",
    ],
)
def test_secrets_in_log_messages_are_redacted(message: str) -> None:
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None)
    RedactSecretsFilter().filter(record)
    assert "hunter22" not in record.getMessage()
    assert "[redacted]" in record.getMessage()


def test_ordinary_words_are_left_alone() -> None:
    message = "CSRF token from POST has incorrect length."
    record = logging.LogRecord("t", logging.INFO, __file__, 1, message, None, None)
    RedactSecretsFilter().filter(record)
    assert record.getMessage() == message


def test_arguments_are_redacted_after_formatting() -> None:
    record = logging.LogRecord(
        "t", logging.INFO, __file__, 1, "login with password=%s", ("s3cret",), None
    )
    RedactSecretsFilter().filter(record)
    assert "s3cret" not in record.getMessage()


def test_json_log_lines_are_json_objects_with_secrets_redacted() -> None:
    import io
    import json
    import logging.config

    from django.conf import settings

    stream = io.StringIO()
    config = {
        "version": 1,
        "formatters": {"json": settings.LOGGING["formatters"]["json"]},
        "filters": settings.LOGGING["filters"],
        "handlers": {
            "out": {
                "class": "logging.StreamHandler",
                "stream": stream,
                "formatter": "json",
                "filters": ["redact"],
            }
        },
        "loggers": {"twofold.test": {"handlers": ["out"], "level": "INFO", "propagate": False}},
    }
    logging.config.dictConfig({**config, "disable_existing_loggers": False})
    logging.getLogger("twofold.test").info("signed in password=hunter22")
    line = json.loads(stream.getvalue())
    assert line["level"] == "INFO"
    assert line["logger"] == "twofold.test"
    assert "hunter22" not in line["message"]

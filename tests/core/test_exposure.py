"""What the service shows about itself: metrics, access log lines, the database file."""

from __future__ import annotations

import logging
import os
import stat
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client, override_settings

from twofold.config import create_private_file

pytestmark = pytest.mark.django_db

TOKEN = "metrics-token-for-the-scraper"


def test_metrics_are_refused_to_other_addresses() -> None:
    response = Client(REMOTE_ADDR="203.0.113.9").get("/metrics")
    assert response.status_code == 403
    assert "TWOFOLD_METRICS_TOKEN" in response.content.decode()
    behind_a_local_proxy = Client(HTTP_X_FORWARDED_FOR="203.0.113.9")
    assert behind_a_local_proxy.get("/metrics").status_code == 403


def test_metrics_are_served_to_this_machine() -> None:
    response = Client().get("/metrics")
    assert response.status_code == 200
    assert b"twofold_http_requests_total" in response.content


@override_settings(TWOFOLD_METRICS_TOKEN=TOKEN)
def test_metrics_with_the_token_are_served_to_any_address() -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200
    wrong = client.get("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN[:-1]}x")
    assert wrong.status_code == 401
    assert wrong["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION=f"Basic {TOKEN}").status_code == 401


def test_without_a_configured_token_no_token_is_accepted() -> None:
    client = Client(REMOTE_ADDR="203.0.113.9")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 401


def test_access_log_lines_carry_no_query_strings(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    # Exactly as uvicorn's HTTP protocol logs a request.
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d',
        "203.0.113.9:51234",
        "GET",
        "/push/api/poll?device=d1&ts=1700000000&sig=SECRET-SIGNATURE",
        "1.1",
        200,
    )
    line = caplog.records[-1].getMessage()
    assert "SECRET-SIGNATURE" not in line
    assert '"GET /push/api/poll HTTP/1.1" 200' in line


def test_the_database_file_is_created_readable_by_its_owner_only(tmp_path: Path) -> None:
    data_dir = tmp_path / "data"
    database = data_dir / "twofold.sqlite3"
    create_private_file(database)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600
    assert stat.S_IMODE(data_dir.stat().st_mode) == 0o700


def test_an_existing_database_readable_by_others_is_tightened(tmp_path: Path) -> None:
    database = tmp_path / "twofold.sqlite3"
    database.write_bytes(b"")
    database.chmod(0o644)
    create_private_file(database)
    assert stat.S_IMODE(database.stat().st_mode) == 0o600


def test_the_running_sqlite_database_is_mode_0600() -> None:
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.sqlite3":
        pytest.skip("runs on SQLite")
    live = Path(settings.CONFIG.data_dir) / "twofold.sqlite3"
    assert stat.S_IMODE(os.stat(live).st_mode) == 0o600

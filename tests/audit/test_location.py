"""The proxy's location header is recorded only from requests through the trusted proxy."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from twofold.audit.models import AuditEvent
from twofold.audit.services import record_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def behind_proxy(settings):
    settings.TWOFOLD_TRUST_X_FORWARDED_FOR = True
    settings.TWOFOLD_LOCATION_HEADER = "CF-IPCountry"
    return settings


def _event(**headers: str) -> AuditEvent:
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", **headers)
    return record_event(AuditEvent.Kind.SIGNIN_SUCCEEDED, principal_name="x", request=request)


def test_location_is_recorded_through_the_trusted_proxy(behind_proxy) -> None:
    event = _event(HTTP_X_FORWARDED_FOR="203.0.113.9", HTTP_CF_IPCOUNTRY="NL")
    assert event.details["location"] == "NL"
    assert event.ip_address == "203.0.113.9"


def test_no_location_without_a_trusted_proxy(settings) -> None:
    settings.TWOFOLD_TRUST_X_FORWARDED_FOR = False
    settings.TWOFOLD_LOCATION_HEADER = "CF-IPCountry"
    event = _event(HTTP_X_FORWARDED_FOR="203.0.113.9", HTTP_CF_IPCOUNTRY="NL")
    assert "location" not in event.details


def test_no_location_from_a_request_that_bypassed_the_proxy(behind_proxy) -> None:
    # Sent straight to Twofold with the header typed in: no X-Forwarded-For from the proxy.
    assert "location" not in _event(HTTP_CF_IPCOUNTRY="NL").details


def test_no_location_without_the_setting(settings) -> None:
    settings.TWOFOLD_TRUST_X_FORWARDED_FOR = True
    settings.TWOFOLD_LOCATION_HEADER = ""
    event = _event(HTTP_X_FORWARDED_FOR="203.0.113.9", HTTP_CF_IPCOUNTRY="NL")
    assert "location" not in event.details


def test_the_location_is_printable_and_short(behind_proxy) -> None:
    event = _event(HTTP_X_FORWARDED_FOR="203.0.113.9", HTTP_CF_IPCOUNTRY="N\x1bL" + "x" * 300)
    assert event.details["location"].startswith("NL")
    assert len(event.details["location"]) == 100


def test_the_push_location_header_is_the_default(monkeypatch, tmp_path) -> None:
    from twofold.config import load_config

    monkeypatch.setenv("TWOFOLD_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("TWOFOLD_PUSH_LOCATION_HEADER", "X-Geo-City")
    monkeypatch.delenv("TWOFOLD_LOCATION_HEADER", raising=False)
    assert load_config().location_header == "X-Geo-City"
    monkeypatch.setenv("TWOFOLD_LOCATION_HEADER", "X-Geo-Country")
    assert load_config().location_header == "X-Geo-Country"

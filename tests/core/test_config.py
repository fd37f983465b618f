from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.core.exceptions import ImproperlyConfigured
from django.test import override_settings

from twofold.config import env_bool, env_int, load_config, load_or_create_secret_key


def test_defaults_are_safe(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in list(os.environ):
        if name.startswith("TWOFOLD_"):
            monkeypatch.delenv(name)
    monkeypatch.setenv("TWOFOLD_DATA_DIR", str(tmp_path))
    config = load_config()
    assert config.debug is False
    assert config.cookie_secure is True
    assert config.database_url == ""
    assert "*" not in config.allowed_hosts
    assert (config.argon2_memory_kib, config.argon2_time_cost, config.argon2_parallelism) == (
        19456,
        2,
        1,
    )
    assert (config.lockout_threshold, config.lockout_seconds) == (10, 60)


def test_secret_key_is_generated_once_and_kept_private(tmp_path: Path) -> None:
    first = load_or_create_secret_key(tmp_path)
    assert len(first) >= 50
    assert load_or_create_secret_key(tmp_path) == first
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


@pytest.mark.parametrize("raw", ["maybe", "2", "yes please"])
def test_unclear_booleans_are_refused(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("TWOFOLD_X", raw)
    with pytest.raises(ImproperlyConfigured, match="TWOFOLD_X must be true or false"):
        env_bool("TWOFOLD_X", False)


@pytest.mark.parametrize(("raw", "message"), [("ten", "whole number"), ("3", "between 8")])
def test_bad_numbers_are_refused(monkeypatch: pytest.MonkeyPatch, raw: str, message: str) -> None:
    monkeypatch.setenv("TWOFOLD_X", raw)
    with pytest.raises(ImproperlyConfigured, match=message):
        env_int("TWOFOLD_X", 10, minimum=8, maximum=128)


def ids() -> set[str]:
    return {message.id for message in run_checks()}


@override_settings(DEBUG=True, TWOFOLD_SMS_GATEWAY="twilio")
def test_debug_with_a_real_sms_gateway_fails_the_system_check() -> None:
    assert "twofold.E001" in ids()


@override_settings(ALLOWED_HOSTS=["*"])
def test_wildcard_allowed_hosts_fails_the_system_check() -> None:
    assert "twofold.E002" in ids()


@override_settings(ALLOWED_HOSTS=["id.contoso.example"], SESSION_COOKIE_SECURE=False)
def test_insecure_cookies_on_a_public_host_warn() -> None:
    assert "twofold.W001" in ids()


def test_default_settings_pass_the_system_checks() -> None:
    assert not {i for i in ids() if i.startswith("twofold.")}

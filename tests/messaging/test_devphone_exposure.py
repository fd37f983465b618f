"""The dev phone shows every code: an explicit opt-in, and only to this machine."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.checks import run_checks
from django.test import Client, override_settings

pytestmark = pytest.mark.django_db


def check_ids() -> set[str]:
    return {message.id for message in run_checks() if message.id}


@override_settings(TWOFOLD_PUBLIC_URL="https://id.contoso.example")
def test_devphone_with_a_public_address_fails_the_system_check() -> None:
    assert "twofold.E105" in check_ids()


@override_settings(TWOFOLD_PUBLIC_URL="https://id.contoso.example", TWOFOLD_ALLOW_DEVPHONE=True)
def test_an_explicit_opt_in_allows_the_devphone_on_a_test_system() -> None:
    assert "twofold.E105" not in check_ids()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://localhost:8000", "http://[::1]:8000"]
)
def test_devphone_on_a_loopback_address_passes(url: str) -> None:
    with override_settings(TWOFOLD_PUBLIC_URL=url):
        assert "twofold.E105" not in check_ids()


def test_twofold_check_refuses_to_start_with_devphone_on_a_public_address(
    tmp_path: Path,
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TWOFOLD_")}
    env |= {
        "TWOFOLD_DATA_DIR": str(tmp_path),
        "TWOFOLD_PUBLIC_URL": "https://id.contoso.example",
        "TWOFOLD_SMS_GATEWAY": "devphone",
    }
    twofold = Path(sys.executable).parent / "twofold"
    refused = subprocess.run(
        [twofold, "check"], capture_output=True, text=True, timeout=60, env=env
    )
    assert refused.returncode != 0
    assert "twofold.E105" in refused.stderr
    allowed = subprocess.run(
        [twofold, "check"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env | {"TWOFOLD_ALLOW_DEVPHONE": "true"},
    )
    assert allowed.returncode == 0, allowed.stderr


@pytest.mark.parametrize(
    "headers",
    [
        {"REMOTE_ADDR": "203.0.113.9"},
        {"REMOTE_ADDR": "203.0.113.9", "HTTP_HOST": "127.0.0.1"},
        # A reverse proxy on this machine connects from 127.0.0.1 for every visitor.
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_FORWARDED_FOR": "203.0.113.9"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_X_REAL_IP": "203.0.113.9"},
        {"REMOTE_ADDR": "127.0.0.1", "HTTP_FORWARDED": 'for="[2001:db8::1]:4711"'},
    ],
)
def test_devphone_pages_refuse_anyone_not_at_this_machine(headers: dict[str, str]) -> None:
    client = Client(**headers)
    for response in (client.get("/devphone/"), client.get("/devphone/+31612345678/")):
        assert response.status_code == 403
        assert "only be opened on the machine" in response.content.decode()
    assert client.post("/devphone/calls/some-token/keys/", {"keys": "#"}).status_code == 403


def test_devphone_pages_open_on_this_machine() -> None:
    assert Client().get("/devphone/").status_code == 200
    assert Client(REMOTE_ADDR="::1").get("/devphone/").status_code == 200

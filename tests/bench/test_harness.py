"""The launcher the benchmarks and the browser journeys share (bench/harness.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bench import harness


def _env(data_dir: Path, **settings: str) -> dict[str, str]:
    env = {key: value for key, value in os.environ.items() if not key.startswith("TWOFOLD_")}
    return env | {"TWOFOLD_DATA_DIR": str(data_dir)} | settings


def test_a_server_that_exits_early_is_reported_with_the_end_of_its_log(tmp_path: Path) -> None:
    env = _env(tmp_path, TWOFOLD_ARGON2_MEMORY_KIB="lots")

    with pytest.raises(harness.ServerError) as raised, harness.serving(env, tmp_path):
        pytest.fail("the server must not get as far as answering")

    message = str(raised.value)
    assert "twofold serve exited with" in message
    assert "TWOFOLD_ARGON2_MEMORY_KIB must be a whole number" in message
    assert str(tmp_path / "server.log") in message

from __future__ import annotations

import pytest


def pytest_configure(config: pytest.Config) -> None:
    # Registered here, next to its only user; the PostgreSQL pass of scripts/run-tests skips it.
    config.addinivalue_line("markers", "bench: runs a benchmark script end to end (seconds)")

"""Each benchmark's quickest run (``--smoke``) exits 0 and prints its figures, so a benchmark
that rots fails ``make test``. The figures themselves mean nothing at this length.

SQLite only: the benchmarks get none of the suite's TWOFOLD_* settings (``--smoke`` also skips
the PostgreSQL and Redis scenarios), and the PostgreSQL pass of scripts/run-tests skips them.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
RUN_TIMEOUT_SECONDS = 120
# "  label of a figure    12.3 / 45" (labels have single spaces, columns are 2+ apart)
ROW = re.compile(r"^\s*(?P<label>\S.*?)\s{2,}(?P<value>\S.*?)\s*$")
NUMBER = re.compile(r"-?\d[\d,]*(?:\.\d+)?")

pytestmark = pytest.mark.bench


def run_smoke(script: str, workdir: Path) -> str:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TWOFOLD_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env["TWOFOLD_DATA_DIR"] = str(workdir)  # totp.py's database; the others make their own
    command = [sys.executable, str(BENCH / script), "--smoke"]
    completed = subprocess.run(
        command,
        env=env,
        cwd=workdir,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_SECONDS,
        check=False,
    )
    assert completed.returncode == 0, (
        f"{' '.join(command)} exited with {completed.returncode}\n"
        f"--- stdout ---\n{completed.stdout}\n--- stderr ---\n{completed.stderr[-4000:]}"
    )
    return completed.stdout


def figures(stdout: str) -> dict[str, list[list[float]]]:
    """The numbers of each "label   value" row of a report, once per row with that label."""
    found: dict[str, list[list[float]]] = {}
    for line in stdout.splitlines():
        if match := ROW.match(line):
            numbers = [float(n.replace(",", "")) for n in NUMBER.findall(match["value"])]
            found.setdefault(match["label"], []).append(numbers)
    return found


def assert_figures(stdout: str, expected: dict[str, int], *, positive: bool = True) -> None:
    """Every label has its rows, each with that many numbers (all above zero if ``positive``)."""
    rows = figures(stdout)
    for label, count in expected.items():
        assert label in rows, f"no {label!r} row in the report:\n{stdout}"
        for numbers in rows[label]:
            assert len(numbers) == count, f"{label!r}: {numbers}, not {count} numbers:\n{stdout}"
            if positive:
                assert all(n > 0 for n in numbers), f"{label!r}: {numbers}:\n{stdout}"


def assert_none_failed(stdout: str, label: str) -> None:
    for done, failed in figures(stdout)[label]:
        assert done > 0 and failed == 0, f"{label}: {done:g} / {failed:g}:\n{stdout}"


def test_signin_benchmark(tmp_path: Path) -> None:
    stdout = run_smoke("signin.py", tmp_path)

    bare = re.search(r"(?P<rate>[\d.]+) checks/s\s+(?P<ms>[\d.]+) ms/check", stdout)
    assert bare and float(bare["rate"]) > 0 and float(bare["ms"]) > 0, stdout
    assert_figures(
        stdout,
        {
            "password sign-ins/s": 1,
            "per server core": 1,
            "per server CPU-second": 1,
            "ratio to bare argon2id (bar >= 0.80)": 1,
            "x Keycloak 15/s per vCPU (aim > 2)": 1,
            "sign-in p50 / p99 ms": 2,
            "GET /signin/ p50 / p99 ms": 2,
            "POST /signin/ p50 / p99 ms": 2,
            "server CPU ms per sign-in": 1,
            "GET only: /s per core": 1,
            "GET only: server CPU ms each": 1,
            "POST only (CSRF reused): /s per core": 1,
            "POST only: server CPU ms each": 1,
            "POST only: p50 / p99 ms": 2,
        },
    )
    # Django's own cost beyond argon2id: small, and below zero when the VM speeds up mid-run.
    assert_figures(stdout, {"POST CPU beyond one argon2id verify, ms": 1}, positive=False)
    assert_none_failed(stdout, "sign-ins done / failed")


def test_totp_benchmark(tmp_path: Path) -> None:
    stdout = run_smoke("totp.py", tmp_path)

    assert_figures(
        stdout,
        {
            "pure check (right code, 3 steps compared)": 2,
            "pure check (wrong code)": 2,
            "full flow: verify_method in a transaction": 2,
        },
    )


def test_push_benchmark(tmp_path: Path) -> None:
    stdout = run_smoke("push.py", tmp_path)

    assert_figures(
        stdout,
        {
            "browser released p50 ms": 1,
            "browser released p90 ms": 1,
            "browser released p99 ms (bar < 50)": 1,
            "browser released max ms": 1,
            "app's POST answered p50 / p99 ms": 2,
            "waits open / asked": 2,
            "server RSS before MiB": 1,
            "server RSS with them waiting MiB": 1,
            "still waiting at the end (bar >= 10,000)": 1,
            "server RSS after they left MiB": 1,
        },
    )
    # A few waits may not move the RSS, and a 1 s hold may not register any CPU.
    assert_figures(
        stdout,
        {"RSS per waiting browser KiB": 1, "server CPU, % of one core": 1},
        positive=False,
    )
    # Idle, with the waits just opened, and while they are held.
    assert len(figures(stdout)["round trips done / failed"]) == 3, stdout
    assert_none_failed(stdout, "round trips done / failed")
    opened, asked = figures(stdout)["waits open / asked"][0]
    assert opened == asked, stdout


def test_reset_timing_benchmark(tmp_path: Path) -> None:
    stdout = run_smoke("reset_timing.py", tmp_path)

    rows = figures(stdout)
    steps = [label for label in rows if label.endswith((" begin", " wrong answer", " contact"))]
    assert len(steps) >= 16, stdout  # begin and a wrong answer for each reset method
    # real p50 / p90, made-up p50 / p90, and the difference (which may be below zero)
    assert_figures(stdout, dict.fromkeys(steps, 5), positive=False)

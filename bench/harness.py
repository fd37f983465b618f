"""What the benchmarks share: percentiles, the product's command, local ports and servers."""

from __future__ import annotations

import contextlib
import socket
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

HOST = "127.0.0.1"
POSTGRES_PORT = 5432
REDIS_PORT = 6379
SERVER_START_TIMEOUT = 60.0
COMMAND_TIMEOUT = 180.0


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def twofold_command() -> list[str]:
    script = Path(sys.executable).with_name("twofold")
    return [str(script)] if script.exists() else [sys.executable, "-m", "twofold.cli"]


def run_twofold(args: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> str:
    completed = subprocess.run(
        [*twofold_command(), *args],
        env=env,
        cwd=cwd,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=COMMAND_TIMEOUT,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"twofold {' '.join(args)} failed:\n{completed.stderr[-2000:]}")
    return completed.stdout


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection((HOST, port), timeout=1.0):
        return True
    return False


def wait_until_serving(port: int, process: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"twofold serve exited early:\n{log_path.read_text()[-2000:]}")
        with contextlib.suppress(OSError):
            with socket.create_connection((HOST, port), timeout=2) as sock:
                sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {HOST}\r\n\r\n".encode())
                if sock.recv(64).startswith(b"HTTP/1.1 200"):
                    return
        time.sleep(0.1)
    raise RuntimeError(f"twofold serve did not answer within {SERVER_START_TIMEOUT:.0f} s")

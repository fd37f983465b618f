"""What the benchmarks share: percentiles, the product's command, local ports and servers.

``serving()`` is also how the browser journeys (tests/e2e/conftest.py) start ``twofold serve``,
which is why this module imports nothing of ``twofold`` and only the standard library.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

HOST = "127.0.0.1"
POSTGRES_PORT = 5432
REDIS_PORT = 6379
SERVER_START_TIMEOUT = 60.0
SERVER_STOP_GRACE = 10.0
COMMAND_TIMEOUT = 180.0
LOG_TAIL_CHARS = 4000


def percentile(values: Sequence[float], pct: float) -> float | None:
    """Nearest-rank percentile; None for no values."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(pct / 100.0 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def twofold_command() -> list[str]:
    """The ``twofold`` script of this virtualenv, as the quick start runs it."""
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


def pin(pid: int, cpus: Sequence[int]) -> None:
    """Keep a process (0: this one) on these CPUs; children forked later inherit it."""
    if cpus and hasattr(os, "sched_setaffinity"):
        with contextlib.suppress(OSError):
            os.sched_setaffinity(pid, set(cpus))


# --- twofold serve -----------------------------------------------------------------------


class ServerError(RuntimeError):
    """``twofold serve`` exited, or did not answer, before it was healthy."""


@dataclass(frozen=True)
class Server:
    port: int
    # The ``twofold serve`` process, leader of its own process group (so also the group's id).
    # With one worker uvicorn serves in this very process.
    pid: int
    log_path: Path

    @property
    def base_url(self) -> str:
        return f"http://{HOST}:{self.port}"


@contextlib.contextmanager
def serving(
    env: Mapping[str, str],
    workdir: Path,
    *,
    port: int | None = None,
    workers: int | None = None,
    cpus: Sequence[int] = (),
    start_timeout: float = SERVER_START_TIMEOUT,
) -> Iterator[Server]:
    """``twofold serve`` on 127.0.0.1 (a free port unless given) until the block ends.

    Runs in ``workdir`` with its output in ``workdir/server.log``, pinned to ``cpus`` if any,
    and yields once ``/healthz`` answers. Raises ServerError with the log's tail if it exits
    or stays silent before that.
    """
    workdir.mkdir(parents=True, exist_ok=True)
    port = port or free_port()
    log_path = workdir / "server.log"
    command = [*twofold_command(), "serve", "--host", HOST, "--port", str(port)]
    if workers is not None:
        command += ["--workers", str(workers)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(
            command,
            env=dict(env),
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            # Its own process group: stopping it stops its workers too, and a Ctrl-C meant for
            # the caller reaches only the caller, whose clean-up then stops the server.
            start_new_session=True,
        )
    try:
        pin(process.pid, cpus)  # before uvicorn forks any worker: they inherit it
        server = Server(port, process.pid, log_path)
        _wait_until_healthy(server, process, start_timeout)
        yield server
    finally:
        stop_group(process)


def _wait_until_healthy(server: Server, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while not _healthy(server.port):
        if process.poll() is not None:
            raise ServerError(
                f"twofold serve exited with {process.returncode} before "
                f"{server.base_url}/healthz answered{_log_tail(server.log_path)}"
            )
        if time.monotonic() > deadline:
            raise ServerError(
                f"twofold serve did not answer {server.base_url}/healthz within "
                f"{timeout:.0f} s{_log_tail(server.log_path)}"
            )
        time.sleep(0.1)


def _healthy(port: int) -> bool:
    # http.client rather than urllib: no proxy settings of the caller get in the way.
    conn = http.client.HTTPConnection(HOST, port, timeout=2.0)
    try:
        conn.request("GET", "/healthz")
        response = conn.getresponse()
        return response.status == 200 and b'"ok"' in response.read()
    except (OSError, http.client.HTTPException):
        return False
    finally:
        conn.close()


def _log_tail(log_path: Path) -> str:
    text = log_path.read_text(errors="replace")
    cut = "..." if len(text) > LOG_TAIL_CHARS else ""
    return f"; {log_path} ends:\n{cut}{text[-LOG_TAIL_CHARS:]}"


def stop_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM to the whole process group, SIGKILL after a grace period."""
    for sig, grace in ((signal.SIGTERM, SERVER_STOP_GRACE), (signal.SIGKILL, 5.0)):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=grace)
        except subprocess.TimeoutExpired:
            continue
        # The leader is gone; make sure no worker of its group outlives it.
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        return

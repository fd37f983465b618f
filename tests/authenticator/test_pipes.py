"""The real command in a child process, driven through pipes as an end-to-end test would."""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

from twofold_authenticator import cli
from twofold_authenticator.store import Store

from .child import Output
from .conftest import FakeTwofold, challenge


def test_listen_through_pipes_shows_notification_promptly_and_approves(
    store_dir: Path, twofold_server: FakeTwofold
) -> None:
    add = ["--store", str(store_dir), "add", "--code", "123456789012"]
    assert cli.main([*add, "--url", twofold_server.activate_url]) == 0
    child = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "twofold_authenticator",
            "--store",
            str(store_dir),
            "listen",
            "--once",
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdin is not None and child.stdout is not None
    try:
        out = Output(child.stdout)
        out.wait_for("Listening for notifications for adele@contoso.example (Contoso).")
        deadline = time.monotonic() + 10
        while not twofold_server.of("/push/api/poll") and time.monotonic() < deadline:
            time.sleep(0.01)
        time.sleep(0.2)  # the poll is now being held open

        sent = time.monotonic()
        twofold_server.notify(challenge("ch-5"))
        out.wait_for("Approve? [y/n]: ")
        assert time.monotonic() - sent < 1.0

        child.stdin.write(b"y\n")
        child.stdin.flush()
        out.wait_for("Number shown on the sign-in screen: ")
        child.stdin.write(b"42\n")
        child.stdin.flush()
        assert child.wait(timeout=10) == 0
        out.wait_for("Approved.")
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    (answer,) = twofold_server.of("/push/api/respond")
    assert (answer.body["decision"], answer.body["number"]) == ("approve", "42")
    assert twofold_server.bad_signatures == []


def test_listen_retries_unreachable_server_and_stops_cleanly_on_ctrl_c(
    store_dir: Path, twofold_server: FakeTwofold
) -> None:
    add = ["--store", str(store_dir), "add", "--code", "123456789012"]
    assert cli.main([*add, "--url", twofold_server.activate_url]) == 0
    store = Store(store_dir)
    with store.update() as accounts:
        accounts[0].poll_url = f"http://127.0.0.1:{_unused_port()}/push/api/poll"
    child = subprocess.Popen(
        [sys.executable, "-m", "twofold_authenticator", "--store", str(store_dir), "listen"],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert child.stdout is not None and child.stderr is not None
    try:
        Output(child.stdout).wait_for("Listening for notifications")
        errors = Output(child.stderr)
        errors.wait_for("cannot connect. Trying again in 1 s.")
        errors.wait_for("cannot connect. Trying again in 2 s.", timeout=5)
        child.send_signal(signal.SIGINT)
        assert child.wait(timeout=10) == 130
        assert b"Traceback" not in errors.data
    finally:
        if child.poll() is None:
            child.kill()
            child.wait()
    assert not store.load()[0].removed


def _unused_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])

"""End-to-end fixtures: a real ``twofold serve`` process and headless Chromium driving it.

The server is started the way the quick start does it (``twofold migrate``, ``twofold demo``,
``twofold serve``) in a throw-away data folder, once per test session, with a few extra users
made by ``twofold user add``. The tests talk to it over HTTP only; they never touch Django's
database in-process, so they use no ``db`` fixture.

The server lives for the whole session, so what one test does to an account stays done: each
user goes through the "Keep your account secure" wizard once. Tests that change an account's
security info therefore each use their own user (see ``E2E_USERS``).
"""

from __future__ import annotations

import os
import re
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from bench import harness

# The journeys and tests/push/test_two_nodes.py import these from here.
_free_port = harness.free_port
_twofold_command = harness.twofold_command

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
STARTUP_TIMEOUT_SECONDS = 20.0
COMMAND_TIMEOUT_SECONDS = 120.0
# Playwright's waits fail fast: every page here is local and answers in milliseconds.
PAGE_TIMEOUT_MS = 10_000

# Extra users for tests that register security info, one user per such test.
E2E_USERS = tuple(f"e2e{number}@contoso.example" for number in range(1, 8))
E2E_PASSWORD = "e2e-Long-passphrase-1"

# "  adele@contoso.example        password: xxxxx-xxxxx-xxxxx-xxxxx"
DEMO_ACCOUNT_LINE = re.compile(r"^\s*(?P<name>\S+@\S+)\s+password:\s*(?P<password>\S+)\s*$")


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    accounts: dict[str, str]
    data_dir: Path
    log_path: Path

    def url(self, path: str) -> str:
        return self.base_url + path

    def password(self, principal_name: str) -> str:
        return self.accounts[principal_name]


def _server_env(data_dir: Path) -> dict[str, str]:
    # Only the settings this suite chooses: a developer's or CI's TWOFOLD_* variables
    # (PostgreSQL/Redis URLs, secret key, ...) must not leak into the server under test.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TWOFOLD_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env["TWOFOLD_DATA_DIR"] = str(data_dir)
    # Plain HTTP on the loopback address, as in `make run`.
    env["TWOFOLD_COOKIE_SECURE"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    return env


def _run(command: list[str], env: dict[str, str], cwd: Path) -> str:
    try:
        completed = subprocess.run(
            command,
            env=env,
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=COMMAND_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        pytest.fail(f"{' '.join(command)} did not finish in {COMMAND_TIMEOUT_SECONDS:.0f} s")
    _check_exit(command, completed.returncode, completed.stdout, completed.stderr)
    return completed.stdout


def _check_exit(command: list[str], returncode: int, stdout: str, stderr: str) -> None:
    if returncode != 0:
        pytest.fail(
            f"{' '.join(command)} exited with {returncode}\n"
            f"--- stdout ---\n{stdout}\n--- stderr ---\n{stderr}"
        )


def _add_users(
    twofold: list[str], names: tuple[str, ...], password: str, env: dict[str, str], cwd: Path
) -> None:
    """``twofold user add NAME --password-stdin`` for each name, side by side (SQLite queues
    the writers; each command mostly spends its time hashing the password)."""
    commands = [[*twofold, "user", "add", name, "--password-stdin"] for name in names]
    processes = [
        subprocess.Popen(
            command,
            env=env,
            cwd=cwd,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for command in commands
    ]
    try:
        for command, process in zip(commands, processes, strict=True):
            try:
                stdout, stderr = process.communicate(
                    password + "\n", timeout=COMMAND_TIMEOUT_SECONDS
                )
            except subprocess.TimeoutExpired:
                pytest.fail(
                    f"{' '.join(command)} did not finish in {COMMAND_TIMEOUT_SECONDS:.0f} s"
                )
            _check_exit(command, process.returncode, stdout, stderr)
    finally:
        for process in processes:
            if process.poll() is None:
                process.kill()
                process.wait()


def _parse_demo_accounts(path: Path) -> dict[str, str]:
    accounts = {}
    for line in path.read_text().splitlines():
        match = DEMO_ACCOUNT_LINE.match(line)
        if match:
            accounts[match["name"]] = match["password"]
    return accounts


@contextmanager
def serving(
    workdir: Path, env: dict[str, str], *, port: int | None = None, host: str = "127.0.0.1"
) -> Iterator[tuple[str, Path]]:
    """``twofold serve`` on a free port until the block ends; yields (base URL, log file).

    The launcher is bench/harness.py's, shared with the benchmarks: its own process group,
    output in ``workdir/server.log``, ready once ``/healthz`` answers.
    """
    port = port or harness.free_port()
    # The address the server says it is at (OpenID Connect issuer, forward-auth redirects).
    env = {"TWOFOLD_PUBLIC_URL": f"http://{host}:{port}", **env}
    try:
        with harness.serving(
            env, workdir, port=port, start_timeout=STARTUP_TIMEOUT_SECONDS
        ) as server:
            yield f"http://{host}:{port}", server.log_path
    except harness.ServerError as error:
        pytest.fail(str(error))


@pytest.fixture(scope="session")
def twofold_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """A real Twofold server with the demo organisation, on a free port, for the whole session."""
    workdir = tmp_path_factory.mktemp("twofold-e2e")
    data_dir = workdir / "data"
    env = _server_env(data_dir)
    twofold = _twofold_command()

    _run([*twofold, "migrate", "--no-input"], env, workdir)
    _run([*twofold, "demo"], env, workdir)
    accounts = _parse_demo_accounts(data_dir / "demo-accounts.txt")
    expected = {"admin@contoso.example", "adele@contoso.example", "alex@contoso.example"}
    assert expected <= accounts.keys(), f"demo accounts file lists only {sorted(accounts)}"
    _add_users(twofold, E2E_USERS, E2E_PASSWORD, env, workdir)
    accounts |= dict.fromkeys(E2E_USERS, E2E_PASSWORD)

    with serving(workdir, env) as (base_url, log_path):
        yield RunningServer(
            base_url=base_url, accounts=accounts, data_dir=data_dir, log_path=log_path
        )


# Per module, not per session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, which would stop every later test's asyncio.run().
@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.skip(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def page(browser: Browser, twofold_server: RunningServer) -> Iterator[Page]:
    """A fresh browser context (no cookies, English) per test, with one page open."""
    context = browser.new_context(base_url=twofold_server.base_url, locale="en-GB")
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    try:
        yield context.new_page()
    finally:
        context.close()

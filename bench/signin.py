"""Password sign-ins per second per core, side by side with bare argon2id.

Runs on one machine against 127.0.0.1 only:

1. bare argon2id: ``argon2.PasswordHasher.verify`` in a loop on one thread, at the
   parameters Twofold is configured with (``TWOFOLD_ARGON2_*``);
2. full HTTP sign-ins against a real ``twofold serve`` in a fresh temporary data
   folder (SQLite), each sign-in a fresh client doing GET /signin/ then POST /signin/;
3. the same on PostgreSQL and/or Redis when they answer on their usual local ports.

The server is pinned to ``--workers`` CPUs and the load generator to the others
(when there are any), so "per core" means what it says. Run it with
``.venv/bin/python bench/signin.py --seconds 8`` (``--smoke``: does it still run, in about
15 s); see bench/README.md.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.parse
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from types import FrameType
from unittest import mock

import argon2
from harness import (
    HOST,
    POSTGRES_PORT,
    REDIS_PORT,
    answers,
    percentile,
    pin,
    run_twofold,
    serving,
)

POSTGRES_DATABASE = "twofold_bench"
POSTGRES_URL = f"postgres://postgres@{HOST}:{POSTGRES_PORT}/{POSTGRES_DATABASE}"
REDIS_URL = f"redis://{HOST}:{REDIS_PORT}/14"
CSRF_COOKIE = "twofold_csrf"
SESSION_COOKIE = "twofold_session"
KEYCLOAK_PER_VCPU = 15.0
RATIO_BAR = 0.80
HTTP_TIMEOUT = 30.0
TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
ACCOUNT_RE = re.compile(r"^\s+(\S+@\S+)\s+password:\s+(\S+)\s*$", re.MULTILINE)


# --- Figures -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Argon2Parameters:
    memory_kib: int
    time_cost: int
    parallelism: int

    def __str__(self) -> str:
        return f"m={self.memory_kib} KiB, t={self.time_cost}, p={self.parallelism}"


@dataclass(frozen=True)
class BareResult:
    checks: int
    seconds: float
    cpu_seconds: float

    @property
    def rate(self) -> float:
        return self.checks / self.seconds

    @property
    def ms_per_check(self) -> float:
        return 1000.0 * self.seconds / self.checks

    def __add__(self, other: BareResult) -> BareResult:
        return BareResult(
            self.checks + other.checks,
            self.seconds + other.seconds,
            self.cpu_seconds + other.cpu_seconds,
        )


@dataclass(frozen=True)
class Sample:
    ended: float
    ok: bool
    total_ms: float
    get_ms: float | None = None
    post_ms: float | None = None
    error: str = ""


@dataclass
class LoadResult:
    seconds: float
    samples: list[Sample]
    server_cpu_seconds: float | None

    @property
    def ok(self) -> list[Sample]:
        return [s for s in self.samples if s.ok]

    @property
    def failures(self) -> int:
        return len(self.samples) - len(self.ok)

    @property
    def rate(self) -> float:
        return len(self.ok) / self.seconds

    @property
    def cpu_ms_per_op(self) -> float | None:
        if self.server_cpu_seconds is None or not self.ok:
            return None
        return 1000.0 * self.server_cpu_seconds / len(self.ok)

    def first_error(self) -> str:
        return next((s.error for s in self.samples if s.error), "")


@dataclass
class ScenarioResult:
    name: str
    server_cores: int
    signin: LoadResult
    get_only: LoadResult | None = None
    post_only: LoadResult | None = None
    notes: list[str] = field(default_factory=list)


# --- Bare argon2id -----------------------------------------------------------------------


def configured_parameters(data_dir: Path) -> Argon2Parameters:
    """The argon2 parameters ``twofold`` would use, read the way it reads them."""
    from twofold.config import load_config

    with mock.patch.dict(os.environ, {"TWOFOLD_DATA_DIR": str(data_dir)}):
        config = load_config()
    return Argon2Parameters(
        config.argon2_memory_kib, config.argon2_time_cost, config.argon2_parallelism
    )


def bare_verify(params: Argon2Parameters, seconds: float) -> BareResult:
    hasher = argon2.PasswordHasher(
        time_cost=params.time_cost,
        memory_cost=params.memory_kib,
        parallelism=params.parallelism,
        type=argon2.Type.ID,
    )
    password = "correct horse battery staple"
    encoded = hasher.hash(password)
    hasher.verify(encoded, password)  # warm up the allocator
    checks = 0
    cpu_start = time.process_time()
    start = time.perf_counter()
    deadline = start + seconds
    while True:
        hasher.verify(encoded, password)
        checks += 1
        now = time.perf_counter()
        if now >= deadline:
            break
    return BareResult(checks, now - start, time.process_time() - cpu_start)


def bare_on_server_core(params: Argon2Parameters, seconds: float, plan: Plan) -> BareResult:
    """The bare rate on the core the server uses; then back to the load generator's CPUs."""
    pin(0, plan.server_cpus[:1])
    try:
        return bare_verify(params, seconds)
    finally:
        pin(0, plan.client_cpus or plan.all_cpus)


# --- CPU placement and accounting --------------------------------------------------------


def available_cpus() -> list[int]:
    if hasattr(os, "sched_getaffinity"):
        return sorted(os.sched_getaffinity(0))
    return list(range(os.cpu_count() or 1))


def group_cpu_seconds(pgid: int) -> float | None:
    """User+system CPU time of the live processes in a process group (Linux /proc)."""
    proc = Path("/proc")
    if not proc.is_dir():
        return None
    ticks = os.sysconf("SC_CLK_TCK")
    total = 0
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        # The command name may hold spaces; the fields after its ")" are fixed.
        fields = raw[raw.rindex(")") + 2 :].split()
        if int(fields[2]) == pgid:
            total += int(fields[11]) + int(fields[12])
    return total / ticks


# --- One browser-like client -------------------------------------------------------------


@dataclass(frozen=True)
class Account:
    username: str
    password: str


@dataclass(frozen=True)
class FormTicket:
    csrf_cookie: str
    token: str


def cookies_from(response: http.client.HTTPResponse) -> dict[str, str]:
    jar: SimpleCookie = SimpleCookie()
    for header in response.msg.get_all("Set-Cookie") or []:
        jar.load(header)
    return {name: morsel.value for name, morsel in jar.items()}


def get_form(conn: http.client.HTTPConnection) -> FormTicket:
    conn.request("GET", "/signin/", headers={"User-Agent": "twofold-bench"})
    response = conn.getresponse()
    body = response.read().decode("utf-8", "replace")
    if response.status != 200:
        raise RuntimeError(f"GET /signin/ answered {response.status}")
    match = TOKEN_RE.search(body)
    cookie = cookies_from(response).get(CSRF_COOKIE)
    if match is None or cookie is None:
        raise RuntimeError("GET /signin/ gave no CSRF cookie or token")
    return FormTicket(cookie, match.group(1))


def post_signin(conn: http.client.HTTPConnection, ticket: FormTicket, account: Account) -> None:
    body = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": ticket.token,
            "username": account.username,
            "password": account.password,
        }
    )
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "Cookie": f"{CSRF_COOKIE}={ticket.csrf_cookie}",
        "User-Agent": "twofold-bench",
    }
    conn.request("POST", "/signin/", body=body, headers=headers)
    response = conn.getresponse()
    response.read()
    location = response.getheader("Location", "")
    if response.status != 302 or location != "/":
        raise RuntimeError(f"POST /signin/ answered {response.status} {location!r}")
    if SESSION_COOKIE not in cookies_from(response):
        raise RuntimeError("POST /signin/ set no session cookie")


def one_signin(port: int, account: Account) -> Sample:
    """A fresh client: new connection, GET the form, POST the password (like a browser)."""
    start = time.perf_counter()
    get_ms: float | None = None
    conn = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT)
    try:
        ticket = get_form(conn)
        got = time.perf_counter()
        get_ms = 1000.0 * (got - start)
        post_signin(conn, ticket, account)
        end = time.perf_counter()
        return Sample(end, True, 1000.0 * (end - start), get_ms, 1000.0 * (end - got))
    except (OSError, http.client.HTTPException, RuntimeError) as error:
        end = time.perf_counter()
        return Sample(end, False, 1000.0 * (end - start), get_ms, error=str(error))
    finally:
        conn.close()


def one_get(port: int) -> Sample:
    start = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT)
    try:
        get_form(conn)
        end = time.perf_counter()
        return Sample(end, True, 1000.0 * (end - start))
    except (OSError, http.client.HTTPException, RuntimeError) as error:
        end = time.perf_counter()
        return Sample(end, False, 1000.0 * (end - start), error=str(error))
    finally:
        conn.close()


def one_post(port: int, ticket: FormTicket, account: Account) -> Sample:
    """POST only, reusing a CSRF cookie and token fetched once (no session cookie sent)."""
    start = time.perf_counter()
    conn = http.client.HTTPConnection(HOST, port, timeout=HTTP_TIMEOUT)
    try:
        post_signin(conn, ticket, account)
        end = time.perf_counter()
        return Sample(end, True, 1000.0 * (end - start))
    except (OSError, http.client.HTTPException, RuntimeError) as error:
        end = time.perf_counter()
        return Sample(end, False, 1000.0 * (end - start), error=str(error))
    finally:
        conn.close()


# --- Load ---------------------------------------------------------------------------------


def run_load(
    operation: Callable[[int], Sample], concurrency: int, seconds: float, pgid: int
) -> LoadResult:
    """``concurrency`` clients back to back for ``seconds``; only work finished in time counts."""
    start = time.perf_counter()
    deadline = start + seconds

    def client(slot: int) -> list[Sample]:
        samples: list[Sample] = []
        while time.perf_counter() < deadline:
            sample = operation(slot)
            if sample.ended <= deadline:
                samples.append(sample)
            if not sample.ok:
                time.sleep(0.05)  # a dead server must not turn into a busy loop
        return samples

    with ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="client") as pool:
        cpu_before = group_cpu_seconds(pgid)
        futures = [pool.submit(client, slot) for slot in range(concurrency)]
        time.sleep(max(0.0, deadline - time.perf_counter()))
        cpu_after = group_cpu_seconds(pgid)
        samples = [sample for future in futures for sample in future.result()]
    cpu = None if cpu_before is None or cpu_after is None else cpu_after - cpu_before
    return LoadResult(seconds, samples, cpu)


# --- Scenarios ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    database_url: str = ""
    redis_url: str = ""


@dataclass(frozen=True)
class Plan:
    seconds: float
    breakdown_seconds: float
    concurrency: int
    workers: int
    all_cpus: list[int]
    server_cpus: list[int]
    client_cpus: list[int]


def base_environment(data_dir: Path, scenario: Scenario) -> dict[str, str]:
    # Drop any TWOFOLD_* of the caller (it may point at a real database) except the
    # argon2 cost, which is what is being measured.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TWOFOLD_") or key.startswith("TWOFOLD_ARGON2_")
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.update(
        {
            "TWOFOLD_DATA_DIR": str(data_dir),
            "TWOFOLD_COOKIE_SECURE": "false",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if scenario.database_url:
        env["TWOFOLD_DATABASE_URL"] = scenario.database_url
    if scenario.redis_url:
        env["TWOFOLD_REDIS_URL"] = scenario.redis_url
    return env


def psql(*commands: str) -> None:
    args = ["psql", "-h", HOST, "-p", str(POSTGRES_PORT), "-U", "postgres", "-v", "ON_ERROR_STOP=1"]
    for command in commands:
        args += ["-c", command]
    subprocess.run(args, capture_output=True, text=True, timeout=60, check=True)


def fresh_postgres_database() -> None:
    psql(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE}", f"CREATE DATABASE {POSTGRES_DATABASE}")


def demo_accounts(env: dict[str, str], data_dir: Path) -> list[Account]:
    run_twofold(["migrate", "--no-input"], env)
    run_twofold(["demo"], env)
    text = (data_dir / "demo-accounts.txt").read_text()
    accounts = [Account(name, password) for name, password in ACCOUNT_RE.findall(text)]
    if not accounts:
        raise RuntimeError("twofold demo wrote no accounts")
    return accounts


def run_scenario(scenario: Scenario, root: Path, plan: Plan) -> ScenarioResult:
    data_dir = root / scenario.name.replace("+", "-")
    data_dir.mkdir()
    env = base_environment(data_dir, scenario)
    accounts = demo_accounts(env, data_dir)

    def account(slot: int) -> Account:
        return accounts[slot % len(accounts)]

    with serving(env, data_dir, workers=plan.workers, cpus=plan.server_cpus) as server:
        # Warm up every account and code path (imports, template loading, connections).
        for slot in range(max(len(accounts), plan.concurrency)):
            warm = one_signin(server.port, account(slot))
            if not warm.ok:
                raise RuntimeError(f"warm-up sign-in failed: {warm.error}")
        result = ScenarioResult(
            scenario.name,
            len(plan.server_cpus) or plan.workers,
            run_load(
                lambda slot: one_signin(server.port, account(slot)),
                plan.concurrency,
                plan.seconds,
                server.pid,
            ),
        )
        if plan.breakdown_seconds > 0:
            result.get_only = run_load(
                lambda _slot: one_get(server.port),
                plan.concurrency,
                plan.breakdown_seconds,
                server.pid,
            )
            tickets: dict[int, FormTicket] = {}
            for slot in range(plan.concurrency):
                conn = http.client.HTTPConnection(HOST, server.port, timeout=HTTP_TIMEOUT)
                try:
                    tickets[slot] = get_form(conn)
                finally:
                    conn.close()
            result.post_only = run_load(
                lambda slot: one_post(server.port, tickets[slot], account(slot)),
                plan.concurrency,
                plan.breakdown_seconds,
                server.pid,
            )
    if scenario.database_url or scenario.redis_url:
        result.notes.append(
            "PostgreSQL/Redis run as their own processes, not pinned; their CPU time is "
            "not in the server CPU figures"
        )
    return result


# --- Report ------------------------------------------------------------------------------


def fmt(value: float | None, spec: str = ".1f", suffix: str = "") -> str:
    return "n/a" if value is None else f"{value:{spec}}{suffix}"


def pair(values: Sequence[float]) -> str:
    return f"{fmt(percentile(values, 50), '.0f')} / {fmt(percentile(values, 99), '.0f')}"


def report(
    params: Argon2Parameters,
    bare_before: BareResult,
    bare_after: BareResult | None,
    results: list[ScenarioResult],
) -> None:
    bare = bare_before if bare_after is None else bare_before + bare_after
    print()
    print(f"bare argon2id verify, 1 thread, one core ({params})")
    print(f"  {bare.rate:.1f} checks/s   {bare.ms_per_check:.1f} ms/check", end="")
    print(f"   (process CPU / wall {bare.cpu_seconds / bare.seconds:.2f})")
    if bare_after is not None:
        drift = 100.0 * (bare_after.rate / bare_before.rate - 1.0)
        print(
            f"  measured before the HTTP runs {bare_before.rate:.1f}/s and after "
            f"{bare_after.rate:.1f}/s ({drift:+.0f}%); ratios use both together"
        )
    if not results:
        return

    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cells: list[str]) -> None:
        rows.append((label, cells))

    per_core = [r.signin.rate / r.server_cores for r in results]
    ratios = [rate / bare.rate for rate in per_core]
    row("password sign-ins/s", [fmt(r.signin.rate) for r in results])
    row("  per server core", [fmt(v) for v in per_core])
    row(
        "  per server CPU-second",
        [fmt(None if (c := r.signin.cpu_ms_per_op) is None else 1000.0 / c) for r in results],
    )
    row(
        f"ratio to bare argon2id (bar >= {RATIO_BAR:.2f})",
        [f"{v:.2f} {'ok' if v >= RATIO_BAR else 'BELOW'}" for v in ratios],
    )
    row(
        f"x Keycloak {KEYCLOAK_PER_VCPU:.0f}/s per vCPU (aim > 2)",
        [f"{v / KEYCLOAK_PER_VCPU:.2f}x" for v in per_core],
    )
    row("sign-in p50 / p99 ms", [pair([s.total_ms for s in r.signin.ok]) for r in results])
    row(
        "  GET /signin/ p50 / p99 ms",
        [pair([s.get_ms for s in r.signin.ok if s.get_ms is not None]) for r in results],
    )
    row(
        "  POST /signin/ p50 / p99 ms",
        [pair([s.post_ms for s in r.signin.ok if s.post_ms is not None]) for r in results],
    )
    row("server CPU ms per sign-in", [fmt(r.signin.cpu_ms_per_op) for r in results])
    row("sign-ins done / failed", [f"{len(r.signin.ok)} / {r.signin.failures}" for r in results])
    if any(r.get_only is not None for r in results):
        row("breakdown (same server, same concurrency):", ["" for _ in results])
        row("  GET only: /s per core", [_rate(r.get_only, r.server_cores) for r in results])
        row("  GET only: server CPU ms each", [_cpu(r.get_only) for r in results])
        row("  GET only: p50 / p99 ms", [_lat(r.get_only) for r in results])
        row(
            "  POST only (CSRF reused): /s per core",
            [_rate(r.post_only, r.server_cores) for r in results],
        )
        row("  POST only: server CPU ms each", [_cpu(r.post_only) for r in results])
        row("  POST only: p50 / p99 ms", [_lat(r.post_only) for r in results])
        row(
            "  POST CPU beyond one argon2id verify, ms",
            [
                fmt(None if (c := _cpu_value(r.post_only)) is None else c - bare.ms_per_check)
                for r in results
            ],
        )

    width = max(len(label) for label, _ in rows) + 2
    column = max(16, *(len(r.name) + 2 for r in results))
    print()
    print(" " * width + "".join(f"{r.name:>{column}}" for r in results))
    for label, cells in rows:
        print(f"{label:<{width}}" + "".join(f"{cell:>{column}}" for cell in cells))
    for r in results:
        for load in (r.signin, r.get_only, r.post_only):
            if load is not None and load.failures:
                print(f"note: {r.name}: {load.failures} failed, e.g. {load.first_error()}")
        for note in r.notes:
            print(f"note: {r.name}: {note}")
    print()


def _rate(load: LoadResult | None, cores: int) -> str:
    return "n/a" if load is None else fmt(load.rate / cores)


def _cpu_value(load: LoadResult | None) -> float | None:
    return None if load is None else load.cpu_ms_per_op


def _cpu(load: LoadResult | None) -> str:
    return fmt(_cpu_value(load))


def _lat(load: LoadResult | None) -> str:
    return "n/a" if load is None else pair([s.total_ms for s in load.ok])


# --- Main --------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="length of each main run")
    parser.add_argument("--concurrency", type=int, default=4, help="clients signing in at once")
    parser.add_argument("--workers", type=int, default=1, help="twofold serve --workers")
    parser.add_argument(
        "--breakdown-seconds",
        type=float,
        default=None,
        help="length of the GET-only and POST-only runs (default: half of --seconds; 0: skip)",
    )
    parser.add_argument(
        "--no-pin", action="store_true", help="do not pin server and load generator to CPUs"
    )
    parser.add_argument(
        "--sqlite-only", action="store_true", help="skip PostgreSQL and Redis even if they answer"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="does it still run (make test): SQLite only, 2 clients, 1 s runs; no real figures",
    )
    args = parser.parse_args(argv)
    if args.smoke:
        args.seconds, args.breakdown_seconds, args.concurrency = 1.0, 0.5, 2
        args.sqlite_only = True
    if args.seconds <= 0 or args.concurrency < 1 or args.workers < 1:
        parser.error("--seconds, --concurrency and --workers must be positive")
    if args.breakdown_seconds is None:
        args.breakdown_seconds = args.seconds / 2
    # The second bare run brackets the HTTP runs; shorter than 2 s it says little about drift.
    args.bare_after_seconds = 0.5 if args.smoke else max(2.0, args.seconds / 4)
    return args


def plan_from(args: argparse.Namespace) -> tuple[Plan, str]:
    cpus = available_cpus()
    if not args.no_pin and len(cpus) > args.workers:
        server, client = cpus[: args.workers], cpus[args.workers :]
        placement = f"server on CPU {_cpu_list(server)}, load generator on CPU {_cpu_list(client)}"
    else:
        server, client = [], []
        placement = "not pinned: server and load generator share the CPUs"
    plan = Plan(
        args.seconds, args.breakdown_seconds, args.concurrency, args.workers, cpus, server, client
    )
    return plan, f"{len(cpus)} CPUs; {placement}"


def _cpu_list(cpus: Sequence[int]) -> str:
    return ",".join(str(c) for c in cpus)


def scenarios(sqlite_only: bool) -> tuple[list[Scenario], list[str]]:
    found = [Scenario("sqlite")]
    notes: list[str] = []
    if sqlite_only:
        return found, notes
    postgres = answers(POSTGRES_PORT)
    redis = answers(REDIS_PORT)
    if postgres and shutil.which("psql") is None:
        notes.append("PostgreSQL answers but psql is not installed: skipped")
        postgres = False
    if postgres or redis:
        name = "+".join(
            n
            for n, on in (("postgres", postgres), ("sqlite", not postgres), ("redis", redis))
            if on
        )
        found.append(Scenario(name, POSTGRES_URL if postgres else "", REDIS_URL if redis else ""))
    else:
        notes.append(f"nothing answers on {HOST}:{POSTGRES_PORT} or :{REDIS_PORT}: SQLite only")
    return found, notes


def _raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # so every finally: runs and the servers are stopped


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    plan, placement = plan_from(args)
    with tempfile.TemporaryDirectory(prefix="twofold-bench-") as tmp:
        root = Path(tmp)
        params = configured_parameters(root / "config")
        todo, notes = scenarios(args.sqlite_only)
        print("Twofold password sign-in benchmark")
        print(f"  argon2id {params}; {placement}")
        print(
            f"  {args.concurrency} concurrent clients, {args.workers} worker(s), "
            f"{args.seconds:g} s per run; scenarios: {', '.join(s.name for s in todo)}"
        )
        for note in notes:
            print(f"  {note}")

        bare_before = bare_on_server_core(params, args.seconds, plan)

        results: list[ScenarioResult] = []
        for scenario in todo:
            print(f"  running {scenario.name} ...", flush=True)
            postgres = bool(scenario.database_url)
            try:
                if postgres:
                    fresh_postgres_database()
                results.append(run_scenario(scenario, root, plan))
            except (RuntimeError, OSError, subprocess.SubprocessError) as error:
                detail = getattr(error, "stderr", "") or ""
                print(f"  {scenario.name} failed: {error} {detail}".rstrip(), file=sys.stderr)
            finally:
                if postgres:
                    with contextlib.suppress(subprocess.SubprocessError, OSError):
                        psql(f"DROP DATABASE IF EXISTS {POSTGRES_DATABASE}")
        # The VM's speed drifts; a second, shorter bare run brackets the HTTP runs.
        bare_after = None
        if results:
            bare_after = bare_on_server_core(params, args.bare_after_seconds, plan)
        report(params, bare_before, bare_after, results)
    return 0 if len(results) == len(todo) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)

"""Push round trip (app approves -> waiting browser released) and many pending waits.

The design's bars: the round trip p99 < 50 ms on loopback, on one node and across two
nodes; at least 10,000 concurrent pending waits on one node with bounded memory.

Runs on one machine against 127.0.0.1 only, with real ``twofold serve`` processes:

1. **1 node, sqlite**: one server in a fresh temporary data folder, in-process hub.
2. **2 nodes, postgres+redis** (when both answer on their usual ports): two servers
   sharing a fresh PostgreSQL database (``twofold_bench_push``), Redis db 12 and one data
   folder (so they share keys). The browser waits on node A, the app answers on node B.

Each scenario runs in its own child process (Django is set up once per process, against
that scenario's database): the child prepares users, registered apps and notifications
through the ORM and ``twofold.push.services``, and talks to the servers over hand-written
HTTP/1.1 on asyncio streams, one persistent keep-alive connection per client.

One round trip: ``send_notification`` for a fresh user (untimed); the browser sends
``GET /push/wait/<wait_token>?wait=25`` on node A and is given ``--settle-ms`` to be
waiting; then the clock starts just before the app's signed approval
(``POST /push/api/respond``, Ed25519 over the protocol's response message) is written to
node B, and stops when the browser's response has arrived. The time the app's own POST
took is printed too: the two apart show whether the time goes into recording the answer
or into waking the browser. Each user gets one notification, so the MFA-fatigue throttle
(10 an hour, pause after 3 unanswered) never applies.

Pending waits: ``--waiters`` browsers each hold ``GET /push/wait/<token>?wait=30`` open on
node A (and ask again when a wait ends with "pending"). The tokens belong to real pending
notifications written in bulk, so each wait's database look finds a row, as a real
browser's does. The server's VmRSS (/proc) is read before, once the server's
CPU has gone quiet with all of them waiting (each has had its first look at the database),
after ``--hold`` seconds and after they hang up. While they wait, ``--crowd-rounds`` round
trips run back to back (no wait has timed out yet), then one round trip every 0.5 s for
``--hold`` seconds (default 40, longer than a wait: every wait times out and is asked
again once, which is what keeping 10,000 browsers waiting costs for real). The waits are
all opened within seconds of each other, so they also time out close together: the hold
is a burst of renewals, the worst case rather than the average.

    .venv/bin/python bench/push.py --smoke      # 1 node, a few of each: does it still run
    .venv/bin/python bench/push.py --quick      # a few rounds, 1,000 waiters
    .venv/bin/python bench/push.py              # 300 round trips, 10,000 waiters

See bench/README.md. Only stdlib and the project's installed packages are used.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import dataclasses
import datetime as dt
import gc
import json
import os
import resource
import secrets
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any, TypeVar

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519
from harness import (
    HOST,
    POSTGRES_PORT,
    REDIS_PORT,
    Server,
    answers,
    percentile,
    run_twofold,
    serving,
)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

T = TypeVar("T")

POSTGRES_ADMIN_URL = f"postgres://postgres@{HOST}:{POSTGRES_PORT}/postgres"
POSTGRES_DATABASE = "twofold_bench_push"
POSTGRES_URL = f"postgres://postgres@{HOST}:{POSTGRES_PORT}/{POSTGRES_DATABASE}"
REDIS_URL = f"redis://{HOST}:{REDIS_PORT}/12"
BAR_P99_MS = 50.0
BAR_WAITERS = 10_000
BROWSER_WAIT_SECONDS = 25
CROWD_WAIT_SECONDS = 30
HTTP_TIMEOUT = 40.0  # longer than any wait the server may hold
QUIET_TIMEOUT = 120.0
# Connections being opened at once: stays well under the listen backlog (2048 in uvicorn).
OPEN_AT_ONCE = 256
BULK_BATCH = 500
# One round trip this often while the waits are held through their timeout.
HOLD_INTERVAL = 0.5


# --- Figures -----------------------------------------------------------------------------


@dataclass
class RoundTrip:
    released_ms: float  # POST written -> browser's response arrived
    answered_ms: float  # POST written -> app's own response arrived


@dataclass
class Rounds:
    trips: list[RoundTrip] = field(default_factory=list)
    failures: list[str] = field(default_factory=list)


@dataclass
class Crowd:
    asked: int
    opened: int = 0
    open_seconds: float = 0.0
    quiet_seconds: float = 0.0
    rss_before: int = 0
    rss_with: int = 0
    rss_held: int = 0  # at the end of the hold, every wait having timed out and asked again
    rss_after: int = 0
    still_waiting: int = 0  # at the end, just before hanging up
    asked_again: int = 0  # waits that ran their 30 s and were asked again
    ended_early: dict[str, int] = field(default_factory=dict)
    # Back to back right after opening: no wait has timed out yet.
    rounds: Rounds = field(default_factory=Rounds)
    # Paced over the hold, while every wait times out and is asked again, as browsers do.
    held: Rounds | None = None
    hold_seconds: float = 0.0
    server_cpu_held: float = 0.0  # CPU seconds per second: 1.0 is one core busy
    bench_cpu_held: float = 0.0


@dataclass
class ScenarioResult:
    name: str
    rounds: Rounds
    crowd: Crowd | None
    notes: list[str] = field(default_factory=list)

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> ScenarioResult:
        def rounds(data: dict[str, Any]) -> Rounds:
            return Rounds([RoundTrip(**t) for t in data["trips"]], data["failures"])

        crowd = None
        if (data := raw["crowd"]) is not None:
            held = None if data["held"] is None else rounds(data["held"])
            crowd = Crowd(**{**data, "rounds": rounds(data["rounds"]), "held": held})
        return cls(raw["name"], rounds(raw["rounds"]), crowd, raw["notes"])


# --- The product's commands and servers --------------------------------------------------


def server_env(data_dir: Path, database_url: str, redis_url: str) -> dict[str, str]:
    # Only the settings chosen here: the caller's TWOFOLD_* must not reach the servers.
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("TWOFOLD_") and key != "DJANGO_SETTINGS_MODULE"
    }
    env["TWOFOLD_DATA_DIR"] = str(data_dir)
    env["TWOFOLD_COOKIE_SECURE"] = "false"
    env["PYTHONUNBUFFERED"] = "1"
    if database_url:
        env["TWOFOLD_DATABASE_URL"] = database_url
    if redis_url:
        env["TWOFOLD_REDIS_URL"] = redis_url
    return env


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"no VmRSS for pid {pid}")


def cpu_ticks(pid: int) -> int:
    raw = Path(f"/proc/{pid}/stat").read_text()
    fields = raw[raw.rindex(")") + 2 :].split()  # the name may hold spaces
    return int(fields[11]) + int(fields[12])


def raise_fd_limit() -> int:
    """Soft RLIMIT_NOFILE up to the hard one; servers started afterwards inherit it."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


# --- The app's key, written from authenticator/PROTOCOL.md -------------------------------


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class Signer:
    """One Ed25519 key; every bench device uses it (each under its own device id)."""

    def __init__(self) -> None:
        self.key = ed25519.Ed25519PrivateKey.generate()
        self.public_key = b64u(
            self.key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def approval(self, device_id: str, note: Notification) -> bytes:
        message = "\n".join(
            ("twofold-response", note.challenge_id, note.nonce, "approve", note.number, "", "")
        )
        return json.dumps(
            {
                "device": device_id,
                "challenge": note.challenge_id,
                "decision": "approve",
                "number": note.number,
                "report_fraud": False,
                "user_verified": False,
                "signature": b64u(self.key.sign(message.encode())),
            }
        ).encode()


# --- Preparing the database (Django in this process, always on one thread) --------------


@dataclass(frozen=True)
class Notification:
    challenge_id: str
    nonce: str
    number: str
    wait_token: str


def bench_users(tag: str, count: int) -> list[Any]:
    """Users without passwords, made in bulk (one notification each keeps throttles away)."""
    from twofold.accounts.models import User

    names = [f"push-{tag}-{i}@bench.example" for i in range(count)]
    # "!" marks an unusable password, as set_unusable_password does.
    User.objects.bulk_create(
        [User(username=name, password="!") for name in names], batch_size=BULK_BATCH
    )
    return list(User.objects.filter(username__in=names).order_by("id"))


def bench_devices(tag: str, count: int, public_key: str) -> list[tuple[Any, str]]:
    """(user, device id) pairs, each device a registered authenticator app of its user."""
    from twofold.methods.authenticator_code import otp
    from twofold.methods.models import RegisteredMethod
    from twofold.push import services

    users = bench_users(tag, count)
    devices = [(user, f"{tag}-{secrets.token_urlsafe(12)}") for user in users]
    methods = []
    for user, device_id in devices:
        method = RegisteredMethod(
            user=user, kind=services.METHOD_KEY, lookup_key=device_id, label="bench phone"
        )
        method.data = {
            "device_id": device_id,
            "public_key": public_key,
            "key_type": "ed25519",
            "totp_secret": otp.new_secret(),
        }
        methods.append(method)
    RegisteredMethod.objects.bulk_create(methods, batch_size=BULK_BATCH)
    return devices


def notify(user: Any, device_id: str) -> Notification:
    """A sign-in notification, exactly as the sign-in page sends one."""
    from twofold.push import services
    from twofold.push.models import PushChallenge

    ticket = services.send_notification(
        user, device_id, services.NotificationDetails(purpose="sign-in")
    )
    # The app learns the nonce from its poll; the bench reads it from the row instead.
    nonce = PushChallenge.objects.values_list("nonce", flat=True).get(pk=ticket.challenge_id)
    return Notification(ticket.challenge_id, nonce, ticket.number, ticket.wait_token)


def pending_wait_tokens(tag: str, count: int) -> list[str]:
    """Wait tokens of ``count`` pending notifications, one per user, written in bulk."""
    from twofold.push import services
    from twofold.push.models import PushChallenge

    users = bench_users(tag, count)
    now = dt.datetime.now(dt.UTC)
    tokens = [secrets.token_urlsafe(24) for _ in users]
    PushChallenge.objects.bulk_create(
        [
            PushChallenge(
                id=secrets.token_urlsafe(16),
                user=user,
                device_id=f"{tag}-{i}",
                purpose=PushChallenge.Purpose.SIGN_IN,
                nonce=secrets.token_urlsafe(24),
                number=f"{10 + secrets.randbelow(90)}",
                wait_digest=services.wait_digest(token),
                created_at=now,
                # Longer than the 2 minutes a real one lives, so none expires mid-measurement.
                expires_at=now + dt.timedelta(minutes=30),
            )
            for i, (user, token) in enumerate(zip(users, tokens, strict=True))
        ],
        batch_size=BULK_BATCH,
    )
    return tokens


# --- HTTP/1.1 over asyncio streams -------------------------------------------------------


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes
    arrived: float  # perf_counter() when the whole response was read

    def json(self) -> dict[str, Any]:
        with contextlib.suppress(ValueError):
            data = json.loads(self.body)
            if isinstance(data, dict):
                return data
        return {}


class Connection:
    """One persistent keep-alive connection; requests go one after another."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def open(self) -> Connection:
        self.reader, self.writer = await asyncio.open_connection(HOST, self.port)
        return self

    async def ensure_open(self) -> None:
        """Reconnect if the server closed the idle connection (uvicorn's keep-alive is 5 s)."""
        if self.writer is None or self.writer.is_closing() or self.reader_at_eof():
            self.close()
            await self.open()

    def reader_at_eof(self) -> bool:
        return self.reader is None or self.reader.at_eof()

    def send(self, method: str, path: str, body: bytes = b"") -> None:
        head = f"{method} {path} HTTP/1.1\r\nHost: {HOST}:{self.port}\r\n"
        if body:
            head += f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
        assert self.writer is not None
        self.writer.write(head.encode() + b"\r\n" + body)

    async def response(self) -> Response:
        assert self.reader is not None
        head = await self.reader.readuntil(b"\r\n\r\n")
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ", 2)[1])
        headers = {}
        for line in lines[1:]:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        if headers.get("transfer-encoding", "").lower() == "chunked":
            body = b""
            while True:
                size = int((await self.reader.readline()).split(b";")[0], 16)
                chunk = await self.reader.readexactly(size + 2)  # data and its CRLF
                if size == 0:
                    break
                body += chunk[:-2]
        else:
            body = await self.reader.readexactly(int(headers.get("content-length", "0")))
        return Response(status, body, time.perf_counter())

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


# --- Round trips -------------------------------------------------------------------------


class Orm:
    """Django calls run on one thread of their own, so the event loop never blocks on them."""

    def __init__(self) -> None:
        self.executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="orm")

    async def __call__(self, function: Callable[..., T], *args: Any) -> T:
        return await asyncio.get_running_loop().run_in_executor(self.executor, function, *args)


async def round_trips(
    orm: Orm,
    signer: Signer,
    devices: Sequence[tuple[Any, str]],
    browser_port: int,
    app_port: int,
    settle: float,
    *,
    interval: float = 0.0,
    deadline: float | None = None,
) -> Rounds:
    """One round trip per device, back to back, or one every ``interval`` s until ``deadline``."""
    result = Rounds()
    browser = await Connection(browser_port).open()
    app = await Connection(app_port).open()
    try:
        next_start = time.perf_counter()
        for user, device_id in devices:
            await asyncio.sleep(max(0.0, next_start - time.perf_counter()))
            if deadline is not None and time.perf_counter() >= deadline:
                break
            next_start = time.perf_counter() + interval
            note = await orm(notify, user, device_id)
            body = signer.approval(device_id, note)
            await browser.ensure_open()
            await app.ensure_open()
            browser.send("GET", f"/push/wait/{note.wait_token}?wait={BROWSER_WAIT_SECONDS}")
            await asyncio.sleep(settle)  # the browser's wait is registered on the hub by now
            started = time.perf_counter()
            app.send("POST", "/push/api/respond", body)
            answered = asyncio.ensure_future(app.response())
            try:
                released = await asyncio.wait_for(browser.response(), HTTP_TIMEOUT)
                reply = await asyncio.wait_for(answered, HTTP_TIMEOUT)
            except (TimeoutError, OSError, asyncio.IncompleteReadError) as error:
                answered.cancel()
                result.failures.append(f"{type(error).__name__}: {error}")
                browser.close()
                app.close()
                continue
            status = released.json().get("status")
            outcome = reply.json().get("result")
            if released.status != 200 or status != "answered" or outcome != "approved":
                result.failures.append(
                    f"browser {released.status} {status!r}, app {reply.status} {reply.body[:120]!r}"
                )
                continue
            result.trips.append(
                RoundTrip(1000.0 * (released.arrived - started), 1000.0 * (reply.arrived - started))
            )
    finally:
        browser.close()
        app.close()
    return result


# --- Many pending waits ------------------------------------------------------------------


@dataclass
class Tally:
    opened: int = 0
    waiting: int = 0
    asked_again: int = 0
    ended: Counter[str] = field(default_factory=Counter)


async def hold_wait(port: int, token: str, gate: asyncio.Semaphore, tally: Tally) -> None:
    """A browser waiting on its notification for as long as the bench wants it to."""
    path = f"/push/wait/{token}?wait={CROWD_WAIT_SECONDS}"
    conn = Connection(port)
    waiting = False
    try:
        async with gate:
            await conn.open()
            conn.send("GET", path)
        tally.opened += 1
        waiting = True
        tally.waiting += 1
        while True:
            response = await conn.response()
            if response.status == 200 and response.json().get("status") == "pending":
                tally.asked_again += 1  # the wait ran its course: a browser asks again
                conn.send("GET", path)
                continue
            tally.ended[f"{response.status} {response.body[:60].decode(errors='replace')}"] += 1
            return
    except (OSError, asyncio.IncompleteReadError) as error:
        tally.ended[type(error).__name__] += 1
    finally:
        if waiting:
            tally.waiting -= 1
        conn.close()


async def until_quiet(pid: int, timeout: float) -> float:
    """Seconds until the server's CPU goes quiet: every wait then has its first look done."""
    ticks_per_second = os.sysconf("SC_CLK_TCK")
    started = time.perf_counter()
    last = cpu_ticks(pid)
    quiet = 0
    while time.perf_counter() - started < timeout:
        await asyncio.sleep(0.25)
        now = cpu_ticks(pid)
        # Under 4% of a core over a quarter second, twice in a row.
        quiet = quiet + 1 if now - last <= max(1, ticks_per_second // 100) else 0
        last = now
        if quiet >= 2:
            break
    return time.perf_counter() - started


@contextlib.asynccontextmanager
async def crowd_waiting(crowd: Crowd, server: Server, tokens: list[str]) -> AsyncIterator[Tally]:
    tally = Tally()
    gate = asyncio.Semaphore(OPEN_AT_ONCE)
    crowd.rss_before = rss_bytes(server.pid)
    started = time.perf_counter()
    tasks = [asyncio.ensure_future(hold_wait(server.port, t, gate, tally)) for t in tokens]
    try:
        while tally.opened + sum(tally.ended.values()) < len(tokens):
            await asyncio.sleep(0.05)
        crowd.open_seconds = time.perf_counter() - started
        crowd.quiet_seconds = await until_quiet(server.pid, QUIET_TIMEOUT)
        crowd.opened = tally.opened
        crowd.rss_with = rss_bytes(server.pid)
        yield tally
    finally:
        crowd.still_waiting = tally.waiting
        crowd.asked_again = tally.asked_again
        crowd.ended_early = dict(tally.ended)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await until_quiet(server.pid, QUIET_TIMEOUT)  # the server has seen them all go
        crowd.rss_after = rss_bytes(server.pid)


# --- One scenario (in its own process) ---------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    name: str
    database_url: str = ""
    redis_url: str = ""
    nodes: int = 1


SCENARIOS = {
    "sqlite": Scenario("1 node, sqlite"),
    "postgres-redis": Scenario("2 nodes, postgres+redis", POSTGRES_URL, REDIS_URL, 2),
}


def setup_django(env: dict[str, str]) -> None:
    for key in [k for k in os.environ if k.startswith("TWOFOLD_")]:
        del os.environ[key]
    os.environ.update({k: v for k, v in env.items() if k.startswith("TWOFOLD_")})
    os.environ["DJANGO_SETTINGS_MODULE"] = "twofold.settings"
    import django

    django.setup()


async def measure(
    args: argparse.Namespace, nodes: list[Server], notes: list[str]
) -> tuple[Rounds, Crowd | None]:
    orm = Orm()
    signer = Signer()
    browser_node, app_node = nodes[0], nodes[-1]
    settle = args.settle_ms / 1000.0

    async def trips(tag: str, count: int) -> Rounds:
        devices = await orm(bench_devices, tag, count, signer.public_key)
        return await round_trips(orm, signer, devices, browser_node.port, app_node.port, settle)

    log(f"    warm-up: {args.warmup} round trips")
    warm = await trips("warm", args.warmup)
    if warm.failures:
        notes.append(f"warm-up: {len(warm.failures)} failed, e.g. {warm.failures[0]}")
    log(f"    {args.rounds} round trips")
    rounds = await trips("rt", args.rounds)
    if args.waiters <= 0:
        return rounds, None

    crowd = Crowd(args.waiters)
    log(f"    writing {args.waiters} pending notifications")
    tokens = await orm(pending_wait_tokens, "crowd", args.waiters)
    crowd_devices = await orm(bench_devices, "crowd-rt", args.crowd_rounds, signer.public_key)
    hold_devices = await orm(
        bench_devices, "held-rt", int(args.hold / HOLD_INTERVAL) + 2, signer.public_key
    )
    log(f"    opening {args.waiters} waits on node A")
    async with crowd_waiting(crowd, browser_node, tokens) as tally:
        # The bench's own collector must not stop the clock: its waits are old news by now.
        gc.collect()
        gc.freeze()
        log(f"    {args.crowd_rounds} round trips with them waiting")
        crowd.rounds = await round_trips(
            orm, signer, crowd_devices, browser_node.port, app_node.port, settle
        )
        if args.hold > 0:
            log(f"    holding them {args.hold:g} s: each times out once and asks again")
            server_ticks, bench_cpu = cpu_ticks(browser_node.pid), time.process_time()
            started = time.perf_counter()
            crowd.held = await round_trips(
                orm,
                signer,
                hold_devices,
                browser_node.port,
                app_node.port,
                settle,
                interval=HOLD_INTERVAL,
                deadline=started + args.hold,
            )
            crowd.hold_seconds = time.perf_counter() - started
            ticks = cpu_ticks(browser_node.pid) - server_ticks
            crowd.server_cpu_held = ticks / os.sysconf("SC_CLK_TCK") / crowd.hold_seconds
            crowd.bench_cpu_held = (time.process_time() - bench_cpu) / crowd.hold_seconds
            crowd.rss_held = rss_bytes(browser_node.pid)
            if tally.waiting < len(tokens):
                notes.append(f"only {tally.waiting} waits still open after the hold")
        log("    hanging up")
    return rounds, crowd


def run_scenario(key: str, args: argparse.Namespace) -> ScenarioResult:
    scenario = SCENARIOS[key]
    notes: list[str] = []
    with tempfile.TemporaryDirectory(prefix="twofold-bench-push-") as tmp:
        root = Path(tmp)
        # One data folder for every node: they share the secret and encryption keys.
        env = server_env(root / "data", scenario.database_url, scenario.redis_url)
        run_twofold(["migrate", "--no-input"], env, root)
        setup_django(env)
        with contextlib.ExitStack() as stack:
            nodes = [
                stack.enter_context(serving(env, root / f"node-{name}"))
                for name in "ab"[: scenario.nodes]
            ]
            rounds, crowd = run_async(measure(args, nodes, notes))
    return ScenarioResult(scenario.name, rounds, crowd, notes)


def run_async(work: Any) -> Any:
    try:
        import uvloop  # the servers run on it too (a project dependency)

        return uvloop.run(work)
    except ImportError:
        return asyncio.run(work)


# --- Databases for the two-node scenario (in the parent process) -------------------------


def fresh_postgres_database() -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')
        admin.execute(f'CREATE DATABASE "{POSTGRES_DATABASE}"')


def drop_postgres_database() -> None:
    import psycopg

    with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{POSTGRES_DATABASE}" WITH (FORCE)')


def empty_redis_database() -> None:
    import redis

    # Db 12 is this bench's own: leftovers (rate-limit counters) from an earlier run go.
    redis.Redis.from_url(REDIS_URL, socket_timeout=5).flushdb()


def scenarios_to_run(sqlite_only: bool) -> tuple[list[str], list[str]]:
    keys = ["sqlite"]
    notes: list[str] = []
    if sqlite_only:
        return keys, notes
    postgres, redis = answers(POSTGRES_PORT), answers(REDIS_PORT)
    if postgres and redis:
        keys.append("postgres-redis")
    else:
        missing = [n for n, up in (("PostgreSQL", postgres), ("Redis", redis)) if not up]
        notes.append(f"{' and '.join(missing)} not answering: two nodes skipped")
    return keys, notes


def run_child(key: str, argv: Sequence[str]) -> ScenarioResult:
    """The scenario in a fresh interpreter: Django can be set up only once per process."""
    with tempfile.NamedTemporaryFile(prefix="twofold-bench-push-", suffix=".json") as out:
        command = [
            sys.executable,
            str(Path(__file__).resolve()),
            *argv,
            "--scenario",
            key,
            "--result-file",
            out.name,
        ]
        child = subprocess.Popen(command)
        try:
            returncode = child.wait()
        except KeyboardInterrupt:
            # A SIGTERM reaches only this process: pass it on so the child stops its servers.
            child.terminate()
            child.wait(timeout=60)
            raise
        if returncode != 0:
            raise RuntimeError(f"scenario {key} exited with {returncode}")
        return ScenarioResult.from_json(json.loads(Path(out.name).read_text()))


# --- Report ------------------------------------------------------------------------------


def fmt(value: float | None, spec: str = ".1f") -> str:
    return "n/a" if value is None else f"{value:{spec}}"


def mib(value: int) -> str:
    return f"{value / 2**20:.1f}"


def latency_rows(
    row: Callable[[str, list[str]], None],
    label: str,
    all_rounds: list[Rounds | None],
    indent: str = "  ",
) -> None:
    def cells(pick: Callable[[Rounds], list[float]], pct: float) -> list[str]:
        return ["" if r is None else fmt(percentile(pick(r), pct)) for r in all_rounds]

    def released(r: Rounds) -> list[float]:
        return [t.released_ms for t in r.trips]

    def answered(r: Rounds) -> list[float]:
        return [t.answered_ms for t in r.trips]

    if label:
        row(label, ["" for _ in all_rounds])
    row(f"{indent}round trips done / failed", [_done(r) for r in all_rounds])
    for pct in (50, 90):
        row(f"{indent}browser released p{pct} ms", cells(released, pct))
    p99 = [None if r is None else percentile(released(r), 99) for r in all_rounds]
    row(
        f"{indent}browser released p99 ms (bar < {BAR_P99_MS:.0f})",
        [
            "" if r is None else f"{fmt(v)} {_verdict(v)}"
            for r, v in zip(all_rounds, p99, strict=True)
        ],
    )
    row(f"{indent}browser released max ms", cells(released, 100))
    row(f"{indent}app's POST answered p50 / p99 ms", [_pair(r, answered) for r in all_rounds])


def _done(r: Rounds | None) -> str:
    return "" if r is None else f"{len(r.trips)} / {len(r.failures)}"


def _verdict(value: float | None) -> str:
    return "n/a" if value is None else ("ok" if value < BAR_P99_MS else "MISSED")


def _pair(r: Rounds | None, pick: Callable[[Rounds], list[float]]) -> str:
    if r is None:
        return ""
    return f"{fmt(percentile(pick(r), 50))} / {fmt(percentile(pick(r), 99))}"


def report(results: list[ScenarioResult]) -> None:
    rows: list[tuple[str, list[str]]] = []

    def row(label: str, cells: list[str]) -> None:
        rows.append((label, cells))

    latency_rows(row, "idle (no other waits)", [r.rounds for r in results])
    crowds = [r.crowd for r in results]
    if any(c is not None for c in crowds):
        asked = max(c.asked for c in crowds if c is not None)
        row(f"{asked:,} pending waits on node A", ["" for _ in results])

        def each(render: Callable[[Crowd], str]) -> list[str]:
            return ["n/a" if c is None else render(c) for c in crowds]

        row("  waits open / asked", each(lambda c: f"{c.opened} / {c.asked}"))
        row("  opening them took s", each(lambda c: f"{c.open_seconds:.1f}"))
        row("  server busy after that for s", each(lambda c: f"{c.quiet_seconds:.1f}"))
        row("  server RSS before MiB", each(lambda c: mib(c.rss_before)))
        row("  server RSS with them waiting MiB", each(lambda c: mib(c.rss_with)))
        row(
            "  RSS per waiting browser KiB",
            each(lambda c: f"{(c.rss_with - c.rss_before) / max(1, c.opened) / 1024:.1f}"),
        )
        row(
            f"  still waiting at the end (bar >= {BAR_WAITERS:,})",
            each(lambda c: f"{c.still_waiting} {'ok' if c.still_waiting >= BAR_WAITERS else '-'}"),
        )
        latency_rows(
            row,
            "  round trips back to back, just opened:",
            [None if c is None else c.rounds for c in crowds],
            "    ",
        )
        if any(c is not None and c.held is not None for c in crowds):
            held = [None if c is None else c.held for c in crowds]

            def when_held(render: Callable[[Crowd], str]) -> list[str]:
                return ["n/a" if c is None or c.held is None else render(c) for c in crowds]

            row(
                f"  held open, one round trip every {HOLD_INTERVAL:g} s:",
                ["" for _ in results],
            )
            row("    held for s", when_held(lambda c: f"{c.hold_seconds:.1f}"))
            row("    waits timed out and asked again", when_held(lambda c: str(c.asked_again)))
            row(
                "    server CPU, % of one core",
                when_held(lambda c: f"{100 * c.server_cpu_held:.0f}"),
            )
            row(
                "    bench CPU (same machine), % of one core",
                when_held(lambda c: f"{100 * c.bench_cpu_held:.0f}"),
            )
            row("    server RSS at the end MiB", when_held(lambda c: mib(c.rss_held)))
            latency_rows(row, "", held, "    ")
        row("  server RSS after they left MiB", each(lambda c: mib(c.rss_after)))

    width = max(len(label) for label, _ in rows) + 2
    column = max(18, *(len(r.name) + 2 for r in results))
    print()
    print(" " * width + "".join(f"{r.name:>{column}}" for r in results))
    for label, cells in rows:
        print(f"{label:<{width}}" + "".join(f"{cell:>{column}}" for cell in cells))
    for r in results:
        crowd = r.crowd
        for rounds, where in (
            (r.rounds, "idle"),
            (None if crowd is None else crowd.rounds, "just opened"),
            (None if crowd is None else crowd.held, "held"),
        ):
            if rounds is not None and rounds.failures:
                print(f"note: {r.name}: {where}: {len(rounds.failures)} failed, e.g. ", end="")
                print(rounds.failures[0])
        if r.crowd is not None and r.crowd.ended_early:
            print(f"note: {r.name}: waits that ended early: {r.crowd.ended_early}")
        for note in r.notes:
            print(f"note: {r.name}: {note}")
    print()


# --- Main --------------------------------------------------------------------------------


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=300, help="round trips measured (idle)")
    parser.add_argument("--waiters", type=int, default=BAR_WAITERS, help="pending waits (0: skip)")
    parser.add_argument(
        "--crowd-rounds", type=int, default=50, help="round trips while the waits are pending"
    )
    parser.add_argument(
        "--hold",
        type=float,
        default=40.0,
        help="then keep the waits open this long (> 30 s: each times out and asks again; 0: skip)",
    )
    parser.add_argument("--warmup", type=int, default=10, help="round trips not counted")
    parser.add_argument(
        "--settle-ms",
        type=float,
        default=20.0,
        help="between the browser's GET and the app's POST (the wait gets registered)",
    )
    parser.add_argument(
        "--quick", action="store_true", help="does it run: 20 round trips, 1,000 waits, 5 s hold"
    )
    parser.add_argument(
        "--sqlite-only", action="store_true", help="skip two nodes even if PostgreSQL/Redis answer"
    )
    parser.add_argument(
        "--smoke",
        action="store_true",
        help="does it still run (make test): 1 node, 5 round trips, 20 waits, 1 s hold",
    )
    parser.add_argument("--scenario", choices=sorted(SCENARIOS), help=argparse.SUPPRESS)
    parser.add_argument("--result-file", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.quick:
        args.rounds, args.waiters, args.crowd_rounds, args.warmup = 20, 1000, 10, 3
        args.hold = min(args.hold, 5.0)
    if args.smoke:
        args.rounds, args.waiters, args.crowd_rounds, args.warmup = 5, 20, 3, 2
        args.hold, args.sqlite_only = 1.0, True
    if args.rounds < 1 or args.crowd_rounds < 1 or min(args.waiters, args.warmup, args.hold) < 0:
        parser.error("--rounds and --crowd-rounds must be positive, the others not negative")
    return args


def _raise_on_sigterm(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # so every finally: runs and the servers are stopped


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    fds = raise_fd_limit()
    if args.scenario:
        result = run_scenario(args.scenario, args)
        Path(args.result_file).write_text(json.dumps(dataclasses.asdict(result)))
        return 0

    keys, notes = scenarios_to_run(args.sqlite_only)
    print(
        "Twofold push round trip benchmark (app approves -> waiting browser released)", flush=True
    )
    print(
        f"  {os.cpu_count()} CPUs, open files limit {fds}; {args.rounds} round trips idle, "
        f"{args.waiters} pending waits with {args.crowd_rounds} round trips; "
        f"{args.settle_ms:g} ms for the browser to be waiting"
    )
    for note in notes:
        print(f"  {note}", flush=True)
    needed = args.waiters + 200
    if fds < needed:
        print(f"  open files limit {fds} < {needed}: not every wait can be opened")
    results: list[ScenarioResult] = []
    for key in keys:
        log(f"  running {SCENARIOS[key].name} ...")
        postgres = bool(SCENARIOS[key].database_url)
        try:
            if postgres:
                fresh_postgres_database()
                empty_redis_database()
            results.append(run_child(key, argv))
        except (RuntimeError, OSError, subprocess.SubprocessError) as error:
            print(f"  {SCENARIOS[key].name} failed: {error}", file=sys.stderr)
        finally:
            if postgres:
                with contextlib.suppress(Exception):
                    drop_postgres_database()
    if results:
        report(results)
    return 0 if len(results) == len(keys) else 1


if __name__ == "__main__":
    try:
        sys.exit(main())
    except KeyboardInterrupt:
        print("interrupted; servers stopped", file=sys.stderr)
        sys.exit(130)

"""A stand-in for the Twofold server's device API (authenticator/PROTOCOL.md), over real HTTP.

It checks every signature with the public key the client sent at activation, independently of
the client's own code, and records each request so tests can assert their exact shape.
"""

from __future__ import annotations

import base64
import json
import signal
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, ed25519
from cryptography.hazmat.primitives.serialization import load_der_public_key

ACTIVATION_CODE = "123456789012"
DEVICE_ID = "dev-7f3a"
TOTP_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"


def b64u_decode(value: str) -> bytes:
    return base64.urlsafe_b64decode(value + "=" * (-len(value) % 4))


def verifies(public_key: str, message: bytes, signature: str) -> bool:
    key = load_der_public_key(b64u_decode(public_key))
    raw = b64u_decode(signature)
    try:
        if isinstance(key, ed25519.Ed25519PublicKey):
            key.verify(raw, message)
        elif isinstance(key, ec.EllipticCurvePublicKey):
            key.verify(raw, message, ec.ECDSA(hashes.SHA256()))
        else:
            return False
    except InvalidSignature:
        return False
    return True


def challenge(challenge_id: str = "ch-1", **fields: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": challenge_id,
        "nonce": f"nonce-{challenge_id}",
        "purpose": "sign-in",
        "app": "Contoso portal",
        "ip": "203.0.113.5",
        "location": "Amsterdam, NL",
        "browser": "Chrome on Linux",
        "created": "2026-11-23T10:00:00Z",
        "expires": "2026-11-23T10:02:00Z",
        "require_pin": False,
    }
    data.update(fields)
    return data


@dataclass
class Recorded:
    method: str
    path: str
    query: dict[str, str]
    body: Any


@dataclass
class FakeTwofold:
    base_url: str = ""
    require_pin: bool = False
    removed: bool = False
    number: str = "42"
    public_key: str | None = None
    pending: list[dict[str, Any]] = field(default_factory=list)
    requests: list[Recorded] = field(default_factory=list)
    bad_signatures: list[str] = field(default_factory=list)
    closed: set[str] = field(default_factory=set)  # answered elsewhere or expired
    changed: threading.Condition = field(default_factory=threading.Condition)

    @property
    def activate_url(self) -> str:
        return self.base_url + "/push/api/activate"

    def notify(self, item: dict[str, Any]) -> None:
        with self.changed:
            self.pending.append(item)
            self.changed.notify_all()

    def of(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path == path]

    # Each handler returns (status, body).
    def activate(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if body.get("code") != ACTIVATION_CODE:
            return 400, {"error": "invalid_code", "message": "That code is wrong or expired."}
        message = b"twofold-activate\n" + body["code"].encode()
        if not verifies(body["public_key"], message, body["proof"]):
            self.bad_signatures.append("activate")
            return 400, {"error": "invalid_request", "message": "Bad proof."}
        self.public_key = body["public_key"]
        return 200, {
            "device_id": DEVICE_ID,
            "account": "adele@contoso.example",
            "issuer": "Contoso",
            "totp": {"secret": TOTP_SECRET, "digits": 6, "period": 30, "algorithm": "SHA1"},
            "require_pin": self.require_pin,
            "poll_url": self.base_url + "/push/api/poll",
            "respond_url": self.base_url + "/push/api/respond",
        }

    def poll(self, query: dict[str, str]) -> tuple[int, dict[str, Any]]:
        if self.removed or query.get("device") != DEVICE_ID:
            return 410, {"error": "account_removed", "message": "This app was removed."}
        message = f"twofold-poll\n{query['device']}\n{query['ts']}".encode()
        if self.public_key is None or not verifies(self.public_key, message, query["sig"]):
            self.bad_signatures.append("poll")
            return 401, {"error": "bad_signature", "message": "Bad signature."}
        with self.changed:
            self.changed.wait_for(
                lambda: bool(self.pending) or self.removed, timeout=float(query["wait"])
            )
            if self.removed:
                return 410, {"error": "account_removed", "message": "This app was removed."}
            return 200, {"challenges": list(self.pending)}

    def respond(self, body: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        if self.removed:
            return 410, {"error": "account_removed", "message": "This app was removed."}
        with self.changed:
            item = next((c for c in self.pending if c["id"] == body["challenge"]), None)
            if item is None or item["id"] in self.closed:
                return 409, {"error": "challenge_closed", "message": "Already answered."}
            message = "\n".join(
                [
                    "twofold-response",
                    body["challenge"],
                    item["nonce"],
                    body["decision"],
                    body["number"] or "",
                    "fraud" if body["report_fraud"] else "",
                    "uv" if body["user_verified"] else "",
                ]
            ).encode()
            assert self.public_key is not None
            if not verifies(self.public_key, message, body["signature"]):
                self.bad_signatures.append("respond")
                return 401, {"error": "bad_signature", "message": "Bad signature."}
            if (item["require_pin"] or self.require_pin) and not body["user_verified"]:
                return 403, {"error": "pin_required", "message": "PIN required."}
            self.pending.remove(item)
        if body["decision"] == "deny":
            return 200, {"result": "fraud_reported" if body["report_fraud"] else "denied"}
        return 200, {"result": "approved" if body["number"] == self.number else "wrong_number"}


def _handler(fake: FakeTwofold) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: Any) -> None:
            pass

        def _answer(self, status: int, body: dict[str, Any]) -> None:
            payload = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def do_GET(self) -> None:
            parts = urlsplit(self.path)
            query = {name: values[0] for name, values in parse_qs(parts.query).items()}
            fake.requests.append(Recorded("GET", parts.path, query, None))
            if parts.path == "/push/api/poll":
                self._answer(*fake.poll(query))
            else:
                self._answer(404, {"error": "not_found", "message": "Not found."})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            body = json.loads(self.rfile.read(length))
            fake.requests.append(Recorded("POST", self.path, {}, body))
            if self.path == "/push/api/activate":
                self._answer(*fake.activate(body))
            elif self.path == "/push/api/respond":
                self._answer(*fake.respond(body))
            else:
                self._answer(404, {"error": "not_found", "message": "Not found."})

    return Handler


@pytest.fixture(autouse=True)
def _deadline() -> Iterator[None]:
    """A listener that never gets its notification fails the test instead of hanging it."""

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError("test took longer than 30 s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.alarm(30)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, previous)


@pytest.fixture
def twofold_server() -> Iterator[FakeTwofold]:
    fake = FakeTwofold()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(fake))
    server.daemon_threads = True
    fake.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield fake
    with fake.changed:
        fake.removed = True  # ends held polls quickly
        fake.changed.notify_all()
    server.shutdown()
    server.server_close()


@pytest.fixture
def store_dir(tmp_path: Path) -> Path:
    return tmp_path / "store"

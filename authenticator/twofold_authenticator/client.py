"""The HTTP side of PROTOCOL.md: activation, long poll and signed answers."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import requests

from . import __version__, keys
from .links import LinkError, check_server_url
from .otp import make_totp

TIMEOUT_SECONDS = 15.0
MAX_WAIT_SECONDS = 25
# The server may take the whole ``wait`` before it answers: the read timeout must outlast it.
POLL_READ_GRACE_SECONDS = 10.0
USER_AGENT = f"twofold-authenticator/{__version__}"


class ClientError(Exception):
    pass


class NetworkError(ClientError):
    """No answer: the server is unreachable, timed out or the connection broke."""


class ProtocolError(ClientError):
    """An answer this client does not understand."""


class ServerError(ClientError):
    def __init__(
        self, status: int, error: str, message: str, retry_after: float | None = None
    ) -> None:
        super().__init__(message or error)
        self.status = status
        self.error = error
        self.message = message
        self.retry_after = retry_after


class InvalidCode(ServerError):
    pass


class InvalidRequest(ServerError):
    pass


class RateLimited(ServerError):
    pass


class BadSignature(ServerError):
    pass


class PinRequired(ServerError):
    pass


class ChallengeClosed(ServerError):
    pass


class AccountRemoved(ServerError):
    pass


_BY_ERROR: dict[str, type[ServerError]] = {
    "invalid_code": InvalidCode,
    "invalid_request": InvalidRequest,
    "rate_limited": RateLimited,
    "bad_signature": BadSignature,
    "pin_required": PinRequired,
    "challenge_closed": ChallengeClosed,
    "account_removed": AccountRemoved,
}
_BY_STATUS: dict[int, type[ServerError]] = {410: AccountRemoved, 429: RateLimited}


def _message(*fields: str) -> bytes:
    return "\n".join(fields).encode("utf-8")


def activation_message(code: str) -> bytes:
    return _message("twofold-activate", code)


def poll_message(device_id: str, timestamp: str) -> bytes:
    return _message("twofold-poll", device_id, timestamp)


def response_message(
    challenge_id: str,
    nonce: str,
    decision: str,
    number: str | None,
    report_fraud: bool,
    user_verified: bool,
) -> bytes:
    return _message(
        "twofold-response",
        challenge_id,
        nonce,
        decision,
        number or "",
        "fraud" if report_fraud else "",
        "uv" if user_verified else "",
    )


@dataclass(frozen=True)
class Activation:
    device_id: str
    account: str
    issuer: str
    totp_secret: str
    totp_digits: int
    totp_period: int
    totp_algorithm: str
    require_pin: bool
    poll_url: str
    respond_url: str


@dataclass(frozen=True)
class Challenge:
    id: str
    nonce: str
    purpose: str
    app: str | None
    ip: str | None
    location: str | None
    browser: str | None
    created: str | None
    expires: str | None
    require_pin: bool

    @classmethod
    def from_json(cls, data: object) -> Challenge:
        if not isinstance(data, dict):
            raise ProtocolError("a notification is not an object")
        if not isinstance(data.get("id"), str) or not isinstance(data.get("nonce"), str):
            raise ProtocolError("a notification lacks its id or nonce")

        def text(name: str) -> str | None:
            value = data.get(name)
            return value if isinstance(value, str) else None

        return cls(
            id=data["id"],
            nonce=data["nonce"],
            purpose=text("purpose") or "sign-in",
            app=text("app"),
            ip=text("ip"),
            location=text("location"),
            browser=text("browser"),
            created=text("created"),
            expires=text("expires"),
            require_pin=data.get("require_pin") is True,
        )


class Client:
    def __init__(
        self,
        session: requests.Session | None = None,
        timeout: float = TIMEOUT_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # A session is not safe to share between threads: one Client per thread.
        self.session = session or requests.Session()
        self.session.headers["User-Agent"] = USER_AGENT
        self.timeout = timeout
        self.clock = clock

    def activate(self, url: str, code: str, key: keys.PrivateKey, device_name: str) -> Activation:
        body = {
            "code": code,
            "public_key": keys.public_key_b64u(key),
            "device_name": device_name,
            "proof": keys.b64u(keys.sign(key, activation_message(code))),
        }
        data = self._call("POST", url, json=body, timeout=self.timeout)
        try:
            totp = data["totp"]
            activation = Activation(
                device_id=_text(data["device_id"]),
                account=_text(data["account"]),
                issuer=str(data.get("issuer") or ""),
                totp_secret=_text(totp["secret"]),
                totp_digits=int(totp.get("digits", 6)),
                totp_period=int(totp.get("period", 30)),
                totp_algorithm=str(totp.get("algorithm", "SHA1")).upper(),
                require_pin=data.get("require_pin") is True,
                poll_url=check_server_url(_text(data["poll_url"])),
                respond_url=check_server_url(_text(data["respond_url"])),
            )
        except (KeyError, TypeError, ValueError, AttributeError) as error:
            raise ProtocolError(f"unexpected activation answer: {error}") from error
        except LinkError as error:
            raise ProtocolError(str(error)) from error
        try:
            make_totp(
                activation.totp_secret,
                activation.totp_digits,
                activation.totp_period,
                activation.totp_algorithm,
            )
        except (ValueError, TypeError) as error:
            raise ProtocolError(f"the server sent an unusable TOTP secret: {error}") from error
        return activation

    def poll(
        self, key: keys.PrivateKey, device_id: str, poll_url: str, wait: float = MAX_WAIT_SECONDS
    ) -> list[Challenge]:
        wait_seconds = max(0, min(int(wait), MAX_WAIT_SECONDS))
        timestamp = str(int(self.clock()))
        signature = keys.sign(key, poll_message(device_id, timestamp))
        params = {
            "device": device_id,
            "ts": timestamp,
            "wait": str(wait_seconds),
            "sig": keys.b64u(signature),
        }
        data = self._call(
            "GET",
            poll_url,
            params=params,
            timeout=(self.timeout, wait_seconds + POLL_READ_GRACE_SECONDS),
        )
        challenges = data.get("challenges")
        if not isinstance(challenges, list):
            raise ProtocolError("the poll answer has no list of challenges")
        return [Challenge.from_json(item) for item in challenges]

    def respond(
        self,
        key: keys.PrivateKey,
        device_id: str,
        respond_url: str,
        challenge: Challenge,
        decision: str,
        number: str | None = None,
        report_fraud: bool = False,
        user_verified: bool = False,
    ) -> str:
        message = response_message(
            challenge.id, challenge.nonce, decision, number, report_fraud, user_verified
        )
        body = {
            "device": device_id,
            "challenge": challenge.id,
            "decision": decision,
            "number": number,
            "report_fraud": report_fraud,
            "user_verified": user_verified,
            "signature": keys.b64u(keys.sign(key, message)),
        }
        data = self._call("POST", respond_url, json=body, timeout=self.timeout)
        result = data.get("result")
        if not isinstance(result, str):
            raise ProtocolError("the answer has no result")
        return result

    def _call(self, method: str, url: str, **kwargs: Any) -> dict[str, Any]:
        try:
            # No redirects: a signed request goes to the address the server gave, nowhere else.
            response = self.session.request(method, url, allow_redirects=False, **kwargs)
        except requests.RequestException as error:
            raise NetworkError(f"{_host(url)}: {_reason(error)}") from error
        try:
            data = response.json()
        except ValueError:
            data = None
        if response.status_code == 200:
            if not isinstance(data, dict):
                raise ProtocolError(f"{_host(url)} answered 200 without a JSON object")
            return data
        error_code = ""
        message = ""
        if isinstance(data, dict):
            error_code = str(data.get("error") or "")
            message = str(data.get("message") or "")
        if not message:
            message = f"HTTP {response.status_code} from {_host(url)}"
        error_class = _BY_STATUS.get(response.status_code) or _BY_ERROR.get(error_code, ServerError)
        raise error_class(
            response.status_code,
            error_code or f"http_{response.status_code}",
            message,
            _retry_after(response.headers.get("Retry-After")),
        )


def _text(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise ValueError("expected a non-empty string")
    return value


def _retry_after(value: str | None) -> float | None:
    try:
        return max(0.0, float(value)) if value else None
    except ValueError:
        return None


def _host(url: str) -> str:
    return urlsplit(url).netloc or url


def _reason(error: requests.RequestException) -> str:
    if isinstance(error, requests.Timeout):
        return "timed out"
    if isinstance(error, requests.ConnectionError):
        return "cannot connect"
    return type(error).__name__

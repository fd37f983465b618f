"""A device playing the Twofold Authenticator in tests, written from authenticator/PROTOCOL.md
(with cryptography directly, not the server's own helpers)."""

from __future__ import annotations

import base64
import time
from typing import Any

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519

from twofold.push import services


def b64u(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


class SoftDevice:
    def __init__(self, key_type: str = "ed25519") -> None:
        self.key_type = key_type
        self.private_key: ed25519.Ed25519PrivateKey | ec.EllipticCurvePrivateKey = (
            ed25519.Ed25519PrivateKey.generate()
            if key_type == "ed25519"
            else ec.generate_private_key(ec.SECP256R1())
        )
        self.device_id = ""
        self.totp_secret = ""

    @property
    def public_key(self) -> str:
        return b64u(
            self.private_key.public_key().public_bytes(
                serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo
            )
        )

    def sign(self, *fields: str) -> str:
        message = "\n".join(fields).encode()
        if isinstance(self.private_key, ed25519.Ed25519PrivateKey):
            return b64u(self.private_key.sign(message))
        return b64u(self.private_key.sign(message, ec.ECDSA(hashes.SHA256())))

    def activation_body(self, code: str, name: str = "test phone") -> dict[str, Any]:
        return {
            "code": code,
            "public_key": self.public_key,
            "device_name": name,
            "proof": self.sign("twofold-activate", code.replace(" ", "")),
        }

    def activate(self, code: str, name: str = "test phone") -> services.ActivatedDevice:
        body = self.activation_body(code, name)
        activated = services.activate_device(
            body["code"], body["public_key"], body["device_name"], body["proof"]
        )
        self.device_id = activated.device_id
        self.totp_secret = activated.totp_secret
        return activated

    def poll_query(self, timestamp: int | None = None) -> dict[str, str]:
        ts = str(int(time.time()) if timestamp is None else timestamp)
        return {
            "device": self.device_id,
            "ts": ts,
            "sig": self.sign("twofold-poll", self.device_id, ts),
        }

    def answer_body(
        self,
        challenge: dict[str, Any],
        decision: str = "approve",
        number: str | None = None,
        *,
        report_fraud: bool = False,
        user_verified: bool = False,
    ) -> dict[str, Any]:
        signature = self.sign(
            "twofold-response",
            challenge["id"],
            challenge["nonce"],
            decision,
            number or "",
            "fraud" if report_fraud else "",
            "uv" if user_verified else "",
        )
        return {
            "device": self.device_id,
            "challenge": challenge["id"],
            "decision": decision,
            "number": number,
            "report_fraud": report_fraud,
            "user_verified": user_verified,
            "signature": signature,
        }

    def answer(self, challenge: dict[str, Any], *args: Any, **kwargs: Any) -> str:
        return answer_with(self.answer_body(challenge, *args, **kwargs))

    def pending(self) -> list[dict[str, Any]]:
        from twofold.core import clock

        return services.pending_for_device(self.device_id, clock.now())

    def approve_latest(self, number: str, **kwargs: Any) -> str:
        pending = self.pending()
        assert pending, "a notification reached the device"
        return self.answer(pending[-1], "approve", number, **kwargs)


def answer_with(body: dict[str, Any]) -> str:
    """An answer's JSON body (as the app posts it) handed to the service."""
    return services.answer_notification(
        services.Answer(
            device_id=body["device"],
            challenge_id=body["challenge"],
            decision=body["decision"],
            number=body["number"] or "",
            report_fraud=body["report_fraud"],
            user_verified=body["user_verified"],
            signature=body["signature"],
        )
    )

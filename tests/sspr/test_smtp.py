"""Email codes and the reset notice through a real SMTP server (aiosmtpd) on loopback."""

from __future__ import annotations

import email
import re
import socket
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from django.test import Client, override_settings

from tests.conftest import FrozenClock
from tests.sspr.helpers import HOME_EMAIL, start
from twofold.accounts.models import User
from twofold.methods.email.method import EmailMethod
from twofold.methods.flows import register_method

pytestmark = pytest.mark.django_db


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content)
        message["X-Envelope-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.append(message)
        return "250 Message accepted"

    def last_code(self) -> str:
        body = self.messages[-1].get_payload(decode=True).decode()
        match = re.search(r"code is (\d{6})", body)
        assert match, body
        return match.group(1)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def smtp() -> Iterator[Inbox]:
    inbox = Inbox()
    port = _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        with override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
            EMAIL_HOST="127.0.0.1",
            EMAIL_PORT=port,
            EMAIL_USE_TLS=False,
            EMAIL_HOST_USER="",
            EMAIL_HOST_PASSWORD="",
            DEFAULT_FROM_EMAIL="twofold@contoso.example",
        ):
            yield inbox
    finally:
        controller.stop()


def test_email_code_and_reset_notice_go_through_smtp(
    adele: User, smtp: Inbox, clock: FrozenClock
) -> None:
    method = EmailMethod()
    pending = method.advance_registration(
        adele, {}, {"action": "send", "email": HOME_EMAIL}, clock.now()
    )
    assert pending is not None
    registration = smtp.messages[-1]
    assert registration["To"] == HOME_EMAIL
    assert registration["From"] == "twofold@contoso.example"
    assert "verification code" in registration["Subject"]
    register_method(adele, method, pending, {"code": smtp.last_code()})

    client = Client()
    start(client, adele.username)
    client.post("/reset/verify/email/", {"contact": HOME_EMAIL})
    client.get("/reset/verify/email/")
    assert client.post("/reset/verify/email/", {"code": smtp.last_code()}).status_code == 302
    password_url = client.get("/reset/verify/")["Location"]
    new = "a-fresh-long-passphrase-9"
    client.post(password_url, {"new_password1": new, "new_password2": new})
    notices = [m for m in smtp.messages if "password was reset" in m["Subject"]]
    # One message per address, each with only its own recipient in the envelope and To.
    assert sorted(m["X-Envelope-To"] for m in notices) == sorted([HOME_EMAIL, adele.email])
    assert sorted(m["To"] for m in notices) == sorted([HOME_EMAIL, adele.email])
    assert len(smtp.messages) == 4, "registration code, reset code, two notices"


def test_smtp_server_down_gives_a_clear_message(adele: User) -> None:
    with override_settings(
        EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=_free_port(),
        EMAIL_TIMEOUT=2,
    ):
        client = Client()
        client.post("/signin/", {"username": adele.username, "password": "correct-horse-battery-9"})
        response = client.post("/setup/method/email/", {"action": "send", "email": HOME_EMAIL})
    assert response.status_code == 400
    assert "couldn&#x27;t send an email" in response.content.decode()

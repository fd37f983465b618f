"""``add --code --url`` and ``listen --once`` against a stand-in server over real HTTP."""

from __future__ import annotations

import io
import os
import socket
import stat
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
import segno
from twofold_authenticator import cli, keys
from twofold_authenticator.store import Store

from .conftest import ACTIVATION_CODE, DEVICE_ID, FakeTwofold, challenge, verifies


def _feed(monkeypatch: pytest.MonkeyPatch, answers: str) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(answers))


def _add(store_dir: Path, server: FakeTwofold, *extra: str) -> int:
    return cli.main(
        [
            "--store",
            str(store_dir),
            "add",
            "--code",
            "123 456-789 012",
            "--url",
            server.activate_url,
            "--name",
            "Adele's laptop",
            *extra,
        ]
    )


def _listen(store_dir: Path, *extra: str) -> int:
    return cli.main(["--store", str(store_dir), "listen", "--once", "--wait", "2", *extra])


@pytest.mark.parametrize("key_type", keys.KEY_TYPES)
def test_add_with_typed_code_activates_with_proof_of_key(
    store_dir: Path,
    twofold_server: FakeTwofold,
    capsys: pytest.CaptureFixture[str],
    key_type: str,
) -> None:
    assert _add(store_dir, twofold_server, "--key-type", key_type) == 0

    (request,) = twofold_server.of("/push/api/activate")
    assert set(request.body) == {"code", "public_key", "device_name", "proof"}
    assert request.body["code"] == ACTIVATION_CODE
    assert request.body["device_name"] == "Adele's laptop"
    message = f"twofold-activate\n{ACTIVATION_CODE}".encode()
    assert verifies(request.body["public_key"], message, request.body["proof"])

    (account,) = Store(store_dir).load()
    assert (account.kind, account.account, account.issuer) == (
        "push",
        "adele@contoso.example",
        "Contoso",
    )
    assert account.device_id == DEVICE_ID
    assert account.key_type == key_type
    assert not account.pin_protected
    assert stat.S_IMODE(os.stat(store_dir / "accounts.json").st_mode) == 0o600
    assert capsys.readouterr().out.startswith(
        "Added adele@contoso.example (Contoso). Keep this running to approve the test "
        "notification: twofold-authenticator listen"
    )


def test_add_from_qr_image_of_activation_link(
    store_dir: Path, twofold_server: FakeTwofold, tmp_path: Path
) -> None:
    image = tmp_path / "qr.png"
    link = f"twofold://activate?code={ACTIVATION_CODE}&url={quote(twofold_server.activate_url)}"
    segno.make(link).save(str(image), scale=5)
    assert cli.main(["--store", str(store_dir), "add", "--qr", str(image)]) == 0
    assert twofold_server.of("/push/api/activate")[0].body["device_name"] == socket.gethostname()
    assert Store(store_dir).load()[0].kind == "push"


def test_add_with_used_code_shows_server_message_and_stores_nothing(
    store_dir: Path, twofold_server: FakeTwofold, capsys: pytest.CaptureFixture[str]
) -> None:
    code = cli.main(
        [
            "--store",
            str(store_dir),
            "add",
            "--code",
            "000000000000",
            "--url",
            twofold_server.activate_url,
        ]
    )
    assert code == 1
    assert "That code is wrong or expired." in capsys.readouterr().err
    assert Store(store_dir).load() == []


def test_add_when_server_requires_pin_encrypts_key_with_new_pin(
    store_dir: Path,
    twofold_server: FakeTwofold,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    twofold_server.require_pin = True
    _feed(monkeypatch, "12\n2468\n2469\n2468\n2468\n")
    assert _add(store_dir, twofold_server) == 0
    out = capsys.readouterr().out
    assert "at least 4 digits" in out
    assert "The two PINs differ." in out

    (account,) = Store(store_dir).load()
    assert account.require_pin
    assert account.pin_protected
    assert account.private_key_pem is not None
    with pytest.raises(keys.WrongPin):
        keys.load_pem(account.private_key_pem, "1234")
    key = keys.load_pem(account.private_key_pem, "2468")
    assert keys.public_key_b64u(key) == twofold_server.public_key


def test_listen_once_approves_with_signed_answer(
    store_dir: Path,
    twofold_server: FakeTwofold,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _add(store_dir, twofold_server) == 0
    twofold_server.notify(challenge("ch-1"))
    _feed(monkeypatch, "y\n42\n")

    assert _listen(store_dir) == 0

    out = capsys.readouterr().out
    for text in ("Sign-in request for adele@contoso.example (Contoso)", "Contoso portal"):
        assert text in out
    for text in ("203.0.113.5, Amsterdam, NL", "Chrome on Linux", "Approved."):
        assert text in out
    assert out.index("Approve? [y/n]: ") < out.index("Number shown on the sign-in screen: ")
    assert "App PIN" not in out

    poll = twofold_server.of("/push/api/poll")[0]
    assert set(poll.query) == {"device", "ts", "wait", "sig"}
    assert poll.query["device"] == DEVICE_ID
    assert poll.query["wait"] == "2"
    (answer,) = twofold_server.of("/push/api/respond")
    assert answer.body == {
        "device": DEVICE_ID,
        "challenge": "ch-1",
        "decision": "approve",
        "number": "42",
        "report_fraud": False,
        "user_verified": False,
        "signature": answer.body["signature"],
    }
    assert twofold_server.public_key is not None
    signed = b"twofold-response\nch-1\nnonce-ch-1\napprove\n42\n\n"
    assert verifies(twofold_server.public_key, signed, answer.body["signature"])
    assert twofold_server.bad_signatures == []


def test_listen_signs_poll_with_injected_clock(
    store_dir: Path, twofold_server: FakeTwofold, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert _add(store_dir, twofold_server) == 0
    twofold_server.notify(challenge("ch-1"))
    _feed(monkeypatch, "y\n42\n")
    argv = ["--store", str(store_dir), "listen", "--once", "--wait", "0"]
    assert cli.main(argv, clock=lambda: 1_800_000_000.7) == 0
    poll = twofold_server.of("/push/api/poll")[0]
    assert poll.query["ts"] == "1800000000"
    assert twofold_server.public_key is not None
    message = f"twofold-poll\n{DEVICE_ID}\n1800000000".encode()
    assert verifies(twofold_server.public_key, message, poll.query["sig"])


def test_listen_once_wrong_number_is_reported(
    store_dir: Path,
    twofold_server: FakeTwofold,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _add(store_dir, twofold_server) == 0
    twofold_server.notify(challenge("ch-1"))
    _feed(monkeypatch, "yes\n17\n")
    assert _listen(store_dir) == 0
    assert "Wrong number" in capsys.readouterr().out
    assert twofold_server.of("/push/api/respond")[0].body["number"] == "17"


def test_listen_once_deny_can_report_fraud(
    store_dir: Path,
    twofold_server: FakeTwofold,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _add(store_dir, twofold_server) == 0
    twofold_server.notify(challenge("ch-9", purpose="password-reset", app=None, ip=None))
    _feed(monkeypatch, "n\ny\n")

    assert _listen(store_dir) == 0

    out = capsys.readouterr().out
    assert "Password reset request" in out
    assert "App:       not shown" in out
    assert out.index("Approve? [y/n]: ") < out.index("Report suspicious activity? [y/n]: ")
    assert "Denied and reported as suspicious." in out
    (answer,) = twofold_server.of("/push/api/respond")
    assert answer.body["decision"] == "deny"
    assert answer.body["number"] is None
    assert answer.body["report_fraud"] is True
    assert twofold_server.public_key is not None
    signed = b"twofold-response\nch-9\nnonce-ch-9\ndeny\n\nfraud\n"
    assert verifies(twofold_server.public_key, signed, answer.body["signature"])


def test_listen_with_pin_asks_for_it_and_marks_answer_user_verified(
    store_dir: Path,
    twofold_server: FakeTwofold,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _feed(monkeypatch, "2468\n2468\n")
    assert _add(store_dir, twofold_server, "--pin") == 0
    twofold_server.notify(challenge("ch-2", require_pin=True))
    # Unlock for the session, then approve: number, a wrong PIN, the right one.
    _feed(monkeypatch, "2468\ny\n42\n1111\n2468\n")
    capsys.readouterr()

    assert _listen(store_dir) == 0

    out = capsys.readouterr().out
    assert out.startswith("App PIN for adele@contoso.example (Contoso): ")
    assert out.index("Number shown on the sign-in screen: ") < out.index("App PIN: ")
    assert "Wrong PIN." in out
    assert "Approved." in out
    (answer,) = twofold_server.of("/push/api/respond")
    assert answer.body["user_verified"] is True
    assert twofold_server.public_key is not None
    signed = b"twofold-response\nch-2\nnonce-ch-2\napprove\n42\n\nuv"
    assert verifies(twofold_server.public_key, signed, answer.body["signature"])


def test_listen_does_not_answer_after_three_wrong_pins(
    store_dir: Path,
    twofold_server: FakeTwofold,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    _feed(monkeypatch, "2468\n2468\n")
    assert _add(store_dir, twofold_server, "--pin") == 0
    twofold_server.notify(challenge("ch-3"))
    _feed(monkeypatch, "2468\ny\n42\n1\n2\n3\n")
    assert _listen(store_dir) == 1
    assert "Too many wrong PINs" in capsys.readouterr().out
    assert twofold_server.of("/push/api/respond") == []


def test_listen_marks_account_removed_on_410(
    store_dir: Path, twofold_server: FakeTwofold, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _add(store_dir, twofold_server) == 0
    twofold_server.removed = True

    assert _listen(store_dir) == 1

    out = capsys.readouterr().out
    assert "Your organisation removed this app from adele@contoso.example (Contoso)" in out
    (account,) = Store(store_dir).load()
    assert account.removed
    assert len(twofold_server.of("/push/api/poll")) == 1  # no more polling for it
    assert _listen(store_dir) == 1
    assert "removed this app" in capsys.readouterr().err


def test_closed_challenge_is_reported(
    store_dir: Path,
    twofold_server: FakeTwofold,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _add(store_dir, twofold_server) == 0
    twofold_server.notify(challenge("ch-4"))
    twofold_server.closed.add("ch-4")
    _feed(monkeypatch, "y\n42\n")
    assert _listen(store_dir) == 1
    assert "already answered, has expired or was replaced" in capsys.readouterr().out


def test_deny_asks_for_pin_when_policy_requires_it(
    store_dir: Path,
    twofold_server: FakeTwofold,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    twofold_server.require_pin = True
    _feed(monkeypatch, "2468\n2468\n")
    assert _add(store_dir, twofold_server) == 0
    twofold_server.notify(challenge("ch-6"))
    _feed(monkeypatch, "2468\nn\nn\n2468\n")
    capsys.readouterr()

    assert _listen(store_dir) == 0

    out = capsys.readouterr().out
    assert out.index("Report suspicious activity? [y/n]: ") < out.index("App PIN: ")
    assert "Denied." in out
    first, second = twofold_server.of("/push/api/respond")
    assert (first.body["user_verified"], second.body["user_verified"]) == (False, True)


def test_410_on_answer_marks_account_removed(
    store_dir: Path,
    twofold_server: FakeTwofold,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert _add(store_dir, twofold_server) == 0
    twofold_server.notify(challenge("ch-7"))

    def approve_then_removed(prompt: str) -> bool:
        twofold_server.removed = True  # removed while the user was deciding
        return True

    monkeypatch.setattr(cli, "ask_yes_no", approve_then_removed)
    _feed(monkeypatch, "42\n")
    assert _listen(store_dir) == 1
    assert "removed this app" in capsys.readouterr().out
    assert Store(store_dir).load()[0].removed

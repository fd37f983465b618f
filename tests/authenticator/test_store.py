from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from twofold_authenticator import cli
from twofold_authenticator.store import Account, Store, StoreError, find, resolve_folder


def _totp_account(account_id: str = "a1b2", name: str = "adele@contoso.example") -> Account:
    return Account(
        id=account_id,
        kind="totp",
        issuer="Contoso",
        account=name,
        totp_secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
    )


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_store_creates_private_folder_and_file_whatever_the_umask(store_dir: Path) -> None:
    previous = os.umask(0)
    try:
        Store(store_dir).save([_totp_account()])
    finally:
        os.umask(previous)
    assert _mode(store_dir) == 0o700
    assert _mode(store_dir / "accounts.json") == 0o600


def test_store_round_trips_accounts(store_dir: Path) -> None:
    store = Store(store_dir)
    store.save([_totp_account()])
    with store.update() as accounts:
        accounts.append(_totp_account("c3d4", "megan@contoso.example"))
    assert [a.account for a in store.load()] == ["adele@contoso.example", "megan@contoso.example"]
    assert _mode(store_dir / "accounts.json") == 0o600


def test_store_refuses_group_readable_file(store_dir: Path) -> None:
    store = Store(store_dir)
    store.save([_totp_account()])
    os.chmod(store.path, 0o640)
    with pytest.raises(StoreError, match="chmod 600"):
        store.load()


def test_cli_refuses_world_readable_store(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    store = Store(store_dir)
    store.save([_totp_account()])
    os.chmod(store.path, 0o604)
    assert cli.main(["--store", str(store_dir), "codes"]) == 1
    captured = capsys.readouterr()
    assert "can be read by other users" in captured.err
    assert captured.out == ""


def test_atomic_write_keeps_old_file_when_writing_fails(
    store_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(store_dir)
    store.save([_totp_account()])
    before = store.path.read_bytes()

    def broken_fsync(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", broken_fsync)
    with pytest.raises(StoreError, match="No space left"):
        store.save([_totp_account(), _totp_account("c3d4", "megan@contoso.example")])
    monkeypatch.undo()

    assert store.path.read_bytes() == before
    assert [p.name for p in store_dir.iterdir()] == ["accounts.json"]  # no temporary file left
    assert [a.account for a in store.load()] == ["adele@contoso.example"]


def test_failed_update_leaves_store_unchanged(store_dir: Path) -> None:
    store = Store(store_dir)
    store.save([_totp_account()])
    with pytest.raises(RuntimeError), store.update() as accounts:
        accounts.clear()
        raise RuntimeError("interrupted")
    assert len(store.load()) == 1


def test_store_location_precedence(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    env = {"TWOFOLD_AUTHENTICATOR_HOME": "/srv/auth", "XDG_CONFIG_HOME": "/cfg"}
    assert resolve_folder("/explicit", env) == Path("/explicit")
    assert resolve_folder(None, env) == Path("/srv/auth")
    assert resolve_folder(None, {"XDG_CONFIG_HOME": "/cfg"}) == Path("/cfg/twofold-authenticator")
    default = tmp_path / "home" / ".config" / "twofold-authenticator"
    assert resolve_folder(None, {}) == default
    assert resolve_folder(None, {"XDG_CONFIG_HOME": "relative/path"}) == default


def test_environment_variable_chooses_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "from-env"
    monkeypatch.setenv("TWOFOLD_AUTHENTICATOR_HOME", str(folder))
    uri = "otpauth://totp/Contoso:adele@contoso.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    assert cli.main(["add", "--uri", uri]) == 0
    assert (folder / "accounts.json").exists()


def test_find_by_id_or_unambiguous_name() -> None:
    accounts = [_totp_account("a1b2"), _totp_account("c3d4", "megan@contoso.example")]
    assert find(accounts, "c3d4").account == "megan@contoso.example"
    assert find(accounts, "ADELE@contoso.example").id == "a1b2"
    with pytest.raises(StoreError, match="no account"):
        find(accounts, "nobody@contoso.example")
    accounts.append(_totp_account("e5f6"))
    with pytest.raises(StoreError, match="several"):
        find(accounts, "adele@contoso.example")

"""Accounts on disk: ``accounts.json`` in a folder only the user can read."""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import stat
from collections.abc import Iterator, Mapping
from dataclasses import asdict, dataclass, fields
from pathlib import Path
from typing import Any, Literal

from . import keys

FILE_NAME = "accounts.json"
LOCK_NAME = ".lock"
FORMAT_VERSION = 1
HOME_VARIABLE = "TWOFOLD_AUTHENTICATOR_HOME"
FOLDER_NAME = "twofold-authenticator"

Kind = Literal["push", "totp"]


class StoreError(Exception):
    pass


@dataclass
class Account:
    id: str
    kind: Kind
    issuer: str
    account: str
    totp_secret: str
    totp_digits: int = 6
    totp_period: int = 30
    totp_algorithm: str = "SHA1"
    # Only for "push" accounts (activated Twofold accounts).
    device_id: str | None = None
    device_name: str | None = None
    poll_url: str | None = None
    respond_url: str | None = None
    key_type: str | None = None
    private_key_pem: str | None = None
    require_pin: bool = False
    removed: bool = False

    @property
    def label(self) -> str:
        return f"{self.account} ({self.issuer})" if self.issuer else self.account

    @property
    def pin_protected(self) -> bool:
        return self.private_key_pem is not None and keys.is_encrypted(self.private_key_pem)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: object) -> Account:
        if not isinstance(data, dict):
            raise StoreError("an account record is not an object")
        known = {field.name for field in fields(cls)}
        try:
            account = cls(**{name: value for name, value in data.items() if name in known})
        except TypeError as error:
            raise StoreError(f"an account record is incomplete: {error}") from error
        if account.kind not in ("push", "totp") or not isinstance(account.id, str):
            raise StoreError(f"account {account.id!r} has an unknown kind {account.kind!r}")
        if account.kind == "push" and not (
            account.device_id and account.poll_url and account.respond_url
        ):
            raise StoreError(f"account {account.id!r} lacks its device details")
        if account.kind == "push" and not account.private_key_pem:
            raise StoreError(f"account {account.id!r} lacks its private key")
        return account


def resolve_folder(option: str | None, environ: Mapping[str, str] | None = None) -> Path:
    """``--store``, else $TWOFOLD_AUTHENTICATOR_HOME, else the XDG config folder."""
    environ = os.environ if environ is None else environ
    if option:
        return Path(option).expanduser()
    if environ.get(HOME_VARIABLE):
        return Path(environ[HOME_VARIABLE]).expanduser()
    config_home = environ.get("XDG_CONFIG_HOME", "")
    # The XDG spec says to ignore a relative XDG_CONFIG_HOME.
    base = Path(config_home) if os.path.isabs(config_home) else Path.home() / ".config"
    return base / FOLDER_NAME


def new_id(accounts: list[Account]) -> str:
    taken = {account.id for account in accounts}
    while True:
        candidate = secrets.token_hex(2)
        if candidate not in taken:
            return candidate


def find(accounts: list[Account], reference: str) -> Account:
    """An account by its id or, when unambiguous, by its account name."""
    for account in accounts:
        if account.id == reference:
            return account
    matches = [a for a in accounts if a.account.casefold() == reference.casefold()]
    if len(matches) == 1:
        return matches[0]
    if matches:
        ids = ", ".join(a.id for a in matches)
        raise StoreError(f"{reference} matches several accounts ({ids}); use the id")
    raise StoreError(f"no account {reference!r}; see: twofold-authenticator list")


class Store:
    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.path = folder / FILE_NAME

    def load(self) -> list[Account]:
        try:
            fd = os.open(self.path, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        except FileNotFoundError:
            return []
        except OSError as error:
            raise StoreError(f"cannot open {self.path}: {error.strerror}") from error
        with os.fdopen(fd, "rb") as file:
            # Checked on the open file, so it is the mode of what is actually read.
            mode = stat.S_IMODE(os.fstat(file.fileno()).st_mode)
            if mode & 0o077:
                raise StoreError(
                    f"{self.path} can be read by other users (mode {mode:04o}); it holds "
                    f"private keys and secrets. Fix it with: chmod 600 {self.path}"
                )
            raw = file.read()
        try:
            data = json.loads(raw)
        except (UnicodeDecodeError, json.JSONDecodeError) as error:
            raise StoreError(f"{self.path} is not valid JSON: {error}") from error
        if not isinstance(data, dict) or not isinstance(data.get("accounts"), list):
            raise StoreError(f"{self.path} is not an accounts file")
        if data.get("version") != FORMAT_VERSION:
            raise StoreError(f"{self.path} has unsupported version {data.get('version')!r}")
        return [Account.from_json(item) for item in data["accounts"]]

    def save(self, accounts: list[Account]) -> None:
        self._ensure_folder()
        payload = json.dumps(
            {"version": FORMAT_VERSION, "accounts": [a.to_json() for a in accounts]}, indent=2
        ).encode("utf-8")
        temporary = self.folder / f".{FILE_NAME}.{secrets.token_hex(6)}.tmp"
        # Written in full beside the old file and swapped in with one rename: a crash or a
        # full disk leaves the old file as it was, never half a file.
        fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        try:
            with os.fdopen(fd, "wb") as file:
                os.fchmod(file.fileno(), 0o600)  # whatever the umask
                file.write(payload + b"\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException as error:
            with contextlib.suppress(FileNotFoundError):
                temporary.unlink()
            if isinstance(error, OSError):
                raise StoreError(f"cannot save {self.path}: {error}") from error
            raise
        self._sync_folder()

    @contextlib.contextmanager
    def update(self) -> Iterator[list[Account]]:
        """Load, let the caller change the list, save; one process at a time."""
        self._ensure_folder()
        lock_fd = os.open(self.folder / LOCK_NAME, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(lock_fd, fcntl.LOCK_EX)
            accounts = self.load()
            yield accounts
            self.save(accounts)
        finally:
            os.close(lock_fd)

    def _ensure_folder(self) -> None:
        if self.folder.is_dir():
            return
        try:
            self.folder.mkdir(mode=0o700, parents=True)
            os.chmod(self.folder, 0o700)  # mkdir's mode is filtered by the umask
        except FileExistsError:
            pass
        except OSError as error:
            raise StoreError(f"cannot create {self.folder}: {error.strerror}") from error

    def _sync_folder(self) -> None:
        # Makes the rename itself durable.
        try:
            fd = os.open(self.folder, os.O_RDONLY)
        except OSError:
            return
        try:
            os.fsync(fd)
        except OSError:
            pass
        finally:
            os.close(fd)

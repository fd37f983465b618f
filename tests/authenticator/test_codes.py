from __future__ import annotations

from pathlib import Path

import pytest
from twofold_authenticator import cli
from twofold_authenticator.store import Store

# RFC 6238, appendix B: the SHA-1 seed "12345678901234567890", 8 digits.
RFC_SECRET = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
RFC_URI = f"otpauth://totp/Example:alice@example.com?secret={RFC_SECRET}&issuer=Example&digits=8"


@pytest.mark.parametrize(
    ("unix_time", "code", "left"),
    [(59, "94287082", 1), (1111111109, "07081804", 1), (1234567890, "89005924", 30)],
)
def test_codes_prints_rfc6238_code_at_fixed_time(
    store_dir: Path, capsys: pytest.CaptureFixture[str], unix_time: int, code: str, left: int
) -> None:
    assert cli.main(["--store", str(store_dir), "add", "--uri", RFC_URI]) == 0
    capsys.readouterr()
    assert cli.main(["--store", str(store_dir), "codes"], clock=lambda: unix_time + 0.5) == 0
    line = capsys.readouterr().out.strip()
    assert f"  {code}  " in line
    assert f"{left:>3}s left" in line
    assert line.endswith("alice@example.com (Example)")


def test_codes_and_list_mark_removed_accounts(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--store", str(store_dir), "add", "--uri", RFC_URI]) == 0
    with Store(store_dir).update() as accounts:
        accounts[0].removed = True
    capsys.readouterr()
    cli.main(["--store", str(store_dir), "codes"], clock=lambda: 59)
    assert "[removed by your organisation]" in capsys.readouterr().out
    cli.main(["--store", str(store_dir), "list"])
    out = capsys.readouterr().out
    assert "totp" in out
    assert "removed" in out


def test_adding_the_same_otpauth_account_twice_is_refused(
    store_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["--store", str(store_dir), "add", "--uri", RFC_URI]) == 0
    assert cli.main(["--store", str(store_dir), "add", "--uri", RFC_URI]) == 1
    assert "already added" in capsys.readouterr().err
    assert len(Store(store_dir).load()) == 1


def test_remove_by_account_name(store_dir: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--store", str(store_dir), "add", "--uri", RFC_URI]) == 0
    assert cli.main(["remove", "alice@example.com", "--store", str(store_dir)]) == 0
    assert Store(store_dir).load() == []
    assert cli.main(["--store", str(store_dir), "remove", "alice@example.com"]) == 1
    assert "no account" in capsys.readouterr().err

"""RFC 6238 checks, against the RFC's own test vectors and an independent implementation."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
from urllib.parse import parse_qs, urlparse

import pytest

from twofold.methods.authenticator_code import otp

# RFC 6238 Appendix B: the SHA-1 seed is the ASCII string "12345678901234567890".
RFC_SECRET = base64.b32encode(b"12345678901234567890").decode()
RFC_VECTORS = [(59, "287082"), (1111111109, "081804"), (1111111111, "050471"),
               (1234567890, "005924"), (2000000000, "279037")]  # fmt: skip


def independent_totp(secret_b32: str, unix_time: float) -> str:
    """RFC 4226 §5.3 written out by hand, so the tests don't trust pyotp to check pyotp."""
    key = base64.b32decode(secret_b32)
    counter = struct.pack(">Q", int(unix_time // 30))
    digest = hmac.new(key, counter, hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return f"{value % 1_000_000:06d}"


@pytest.mark.parametrize(("unix_time", "code"), RFC_VECTORS)
def test_rfc_6238_vectors_are_accepted_at_their_time(unix_time: int, code: str) -> None:
    assert independent_totp(RFC_SECRET, unix_time) == code
    assert otp.matching_step(RFC_SECRET, code, unix_time, last_used_step=-1) == unix_time // 30


def test_one_step_of_drift_either_way_is_accepted_and_two_are_not() -> None:
    secret = otp.new_secret()
    now = 1_800_000_000
    for offset, accepted in [(-60, False), (-30, True), (0, True), (30, True), (60, False)]:
        code = independent_totp(secret, now + offset)
        assert (otp.matching_step(secret, code, now, -1) is not None) is accepted, offset


def test_a_code_is_accepted_once() -> None:
    secret = otp.new_secret()
    now = 1_800_000_000
    code = independent_totp(secret, now)
    step = otp.matching_step(secret, code, now, -1)
    assert step is not None
    assert otp.matching_step(secret, code, now, last_used_step=step) is None
    assert otp.matching_step(secret, code, now + 20, last_used_step=step) is None


def test_an_older_code_is_refused_after_a_newer_one_was_used() -> None:
    secret = otp.new_secret()
    now = 1_800_000_000
    newer_step = otp.matching_step(secret, independent_totp(secret, now + 30), now, -1)
    assert newer_step is not None
    previous = independent_totp(secret, now - 30)
    assert otp.matching_step(secret, previous, now, last_used_step=newer_step) is None


@pytest.mark.parametrize(
    "code",
    [
        "",
        "12345",
        "1234567",
        "abcdef",
        "12 34 56",
        "\uff11\uff12\uff13\uff14\uff15\uff16",
        "-12345",
    ],
)
def test_malformed_codes_never_match(code: str) -> None:
    assert otp.matching_step(RFC_SECRET, code, 59, -1) is None


def test_codes_typed_with_spaces_are_normalised() -> None:
    assert otp.normalise_code(" 287 082 ") == "287082"
    assert otp.normalise_code("287-082") == "287082"


def test_new_secrets_are_160_bit_base32_and_unique() -> None:
    secrets = {otp.new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(len(base64.b32decode(s)) == 20 for s in secrets)


def test_provisioning_uri_names_issuer_and_account() -> None:
    uri = otp.provisioning_uri(RFC_SECRET, "adele@contoso.example", "Contoso")
    parsed = urlparse(uri)
    assert (parsed.scheme, parsed.netloc) == ("otpauth", "totp")
    assert parsed.path == "/Contoso:adele%40contoso.example"
    query = parse_qs(parsed.query)
    assert query["secret"] == [RFC_SECRET]
    assert query["issuer"] == ["Contoso"]

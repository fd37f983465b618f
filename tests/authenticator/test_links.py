from __future__ import annotations

from pathlib import Path

import pytest
import segno
from PIL import Image
from twofold_authenticator.links import (
    ActivationLink,
    LinkError,
    TotpLink,
    decode_qr,
    normalise_code,
    parse_activation,
    parse_link,
)

ACTIVATION_URI = (
    "twofold://activate?code=123456789012"
    "&url=https%3A%2F%2Fid.contoso.example%2Fpush%2Fapi%2Factivate%3Fv%3D1"
)
OTPAUTH_URI = (
    "otpauth://totp/Contoso:adele@contoso.example?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
    "&issuer=Contoso&digits=8&period=60&algorithm=SHA256"
)


def test_twofold_link_gives_code_and_decoded_url() -> None:
    assert parse_link(ACTIVATION_URI) == ActivationLink(
        code="123456789012", url="https://id.contoso.example/push/api/activate?v=1"
    )


def test_otpauth_uri_gives_totp_settings() -> None:
    assert parse_link(OTPAUTH_URI) == TotpLink(
        issuer="Contoso",
        account="adele@contoso.example",
        secret="GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ",
        digits=8,
        period=60,
        algorithm="SHA256",
    )


def test_otpauth_defaults_are_rfc_defaults() -> None:
    link = parse_link("otpauth://totp/megan?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
    assert isinstance(link, TotpLink)
    assert (link.issuer, link.account, link.digits, link.period, link.algorithm) == (
        "",
        "megan",
        6,
        30,
        "SHA1",
    )


@pytest.mark.parametrize(
    "text",
    [
        "otpauth://hotp/Contoso:adele?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ&counter=1",
        "otpauth://totp/Contoso:adele?secret=not-base32!",
        "https://id.contoso.example/",
        "twofold://activate?code=123456789012",
        "twofold://other?code=123456789012&url=https%3A%2F%2Fid.contoso.example%2F",
        "twofold://activate?code=12345&url=https%3A%2F%2Fid.contoso.example%2F",
    ],
)
def test_unusable_links_are_refused(text: str) -> None:
    with pytest.raises(LinkError):
        parse_link(text)


@pytest.mark.parametrize(
    "typed", ["123456789012", "123 456 789 012", "123-456-789-012", " 123 - 456 789012 "]
)
def test_typed_code_ignores_spaces_and_dashes(typed: str) -> None:
    assert normalise_code(typed) == "123456789012"


@pytest.mark.parametrize(
    "typed", ["", "12345678901", "1234567890123", "12345678901a", "123.456.789.012", "١٢٣٤٥٦٧٨٩٠١٢"]
)
def test_typed_code_must_be_twelve_digits(typed: str) -> None:
    with pytest.raises(LinkError, match="12 digits"):
        normalise_code(typed)


@pytest.mark.parametrize(
    "url",
    ["http://id.contoso.example/push/api/activate", "ftp://id.contoso.example/", "https:///x"],
)
def test_activation_url_must_be_https(url: str) -> None:
    with pytest.raises(LinkError, match="https"):
        parse_activation("123456789012", url)


@pytest.mark.parametrize("host", ["127.0.0.1:8000", "localhost:8000", "[::1]:8000"])
def test_plain_http_allowed_only_to_this_computer(host: str) -> None:
    url = f"http://{host}/push/api/activate"
    assert parse_activation("123456789012", url).url == url


@pytest.mark.parametrize("uri", [ACTIVATION_URI, OTPAUTH_URI])
def test_qr_image_decodes_to_its_link(tmp_path: Path, uri: str) -> None:
    image = tmp_path / "qr.png"
    segno.make(uri).save(str(image), scale=5)
    assert decode_qr(image) == uri


def test_image_without_qr_code_is_an_error(tmp_path: Path) -> None:
    image = tmp_path / "blank.png"
    Image.new("RGB", (200, 200), "white").save(image)
    with pytest.raises(LinkError, match="no QR code"):
        decode_qr(image)


def test_unreadable_image_is_an_error(tmp_path: Path) -> None:
    not_image = tmp_path / "notes.png"
    not_image.write_text("hello")
    with pytest.raises(LinkError, match="not an image"):
        decode_qr(not_image)
    with pytest.raises(LinkError, match="no such file"):
        decode_qr(tmp_path / "missing.png")

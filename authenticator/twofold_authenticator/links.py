"""What the user brings to ``add``: an activation link, an otpauth URI, a typed code or a QR."""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pyotp

CODE_LENGTH = 12
_SEPARATORS = re.compile(r"[\s\-]+")
_CODE = re.compile(rf"[0-9]{{{CODE_LENGTH}}}")
_ALGORITHMS = {"sha1": "SHA1", "sha256": "SHA256", "sha512": "SHA512"}


class LinkError(ValueError):
    pass


@dataclass(frozen=True)
class ActivationLink:
    code: str
    url: str


@dataclass(frozen=True)
class TotpLink:
    issuer: str
    account: str
    secret: str
    digits: int
    period: int
    algorithm: str


def normalise_code(typed: str) -> str:
    """The 12-digit activation code, whatever spaces or dashes it was typed with."""
    code = _SEPARATORS.sub("", typed)
    if not _CODE.fullmatch(code):
        raise LinkError(
            f"the activation code must be {CODE_LENGTH} digits (spaces and dashes are ignored)"
        )
    return code


def check_server_url(url: str) -> str:
    """HTTPS, or plain HTTP to this computer only (a local test server)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return url
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return url
    raise LinkError(f"not an https:// address: {url!r}")


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_activation(code: str, url: str) -> ActivationLink:
    return ActivationLink(code=normalise_code(code), url=check_server_url(url.strip()))


def parse_link(text: str) -> ActivationLink | TotpLink:
    text = text.strip()
    scheme = text.split(":", 1)[0].lower()
    if scheme == "twofold":
        return _parse_twofold(text)
    if scheme == "otpauth":
        return _parse_otpauth(text)
    raise LinkError("expected a twofold://activate link or an otpauth://totp URI")


def _parse_twofold(text: str) -> ActivationLink:
    parts = urlsplit(text)
    if parts.netloc != "activate" or parts.path not in ("", "/"):
        raise LinkError("only twofold://activate links are understood")
    query = parse_qs(parts.query, keep_blank_values=True)
    codes, urls = query.get("code", []), query.get("url", [])
    if len(codes) != 1 or len(urls) != 1:
        raise LinkError("the activation link must hold one code and one url")
    return parse_activation(codes[0], urls[0])


def _parse_otpauth(text: str) -> TotpLink:
    if urlsplit(text).netloc.lower() != "totp":
        raise LinkError("only time-based (otpauth://totp/...) accounts are supported")
    try:
        otp = pyotp.parse_uri(text)
    except (ValueError, TypeError) as error:
        raise LinkError(f"not a usable otpauth URI: {error}") from error
    if not isinstance(otp, pyotp.TOTP):
        raise LinkError("only time-based (otpauth://totp/...) accounts are supported")
    algorithm = _ALGORITHMS.get(otp.digest().name.lower())
    if algorithm is None:
        raise LinkError("unsupported algorithm in the otpauth URI")
    return TotpLink(
        issuer=otp.issuer or "",
        account=otp.name or "",
        secret=otp.secret,
        digits=otp.digits,
        period=otp.interval,
        algorithm=algorithm,
    )


def decode_qr(path: str | Path) -> str:
    """The text of the first QR code in an image file."""
    # Imported here: only ``add --qr`` needs them, and zxing-cpp is a native module.
    import zxingcpp
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            image.load()
            results = zxingcpp.read_barcodes(image)
    except FileNotFoundError as error:
        raise LinkError(f"no such file: {path}") from error
    except (UnidentifiedImageError, OSError) as error:
        raise LinkError(f"{path} is not an image that can be read: {error}") from error
    for result in results:
        if result.format in (zxingcpp.BarcodeFormat.QRCode, zxingcpp.BarcodeFormat.MicroQRCode):
            if result.text:
                return str(result.text)
    raise LinkError(f"no QR code found in {path}")

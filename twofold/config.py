"""Deployment configuration read from ``TWOFOLD_*`` environment variables.

Every setting has a safe default so that a bare ``twofold serve`` runs a
single-node instance on SQLite; README lists each variable.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default).strip()


def env_bool(name: str, default: bool) -> bool:
    raw = os.environ.get(name)
    if raw is None:
        return default
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ImproperlyConfigured(f"{name} must be true or false, not {raw!r}.")


def env_int(name: str, default: int, *, minimum: int = 0, maximum: int | None = None) -> int:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ImproperlyConfigured(f"{name} must be a whole number, not {raw!r}.") from None
    if value < minimum or (maximum is not None and value > maximum):
        upper = f" and {maximum}" if maximum is not None else ""
        raise ImproperlyConfigured(f"{name} must be between {minimum}{upper}, not {value}.")
    return value


def env_list(name: str, default: list[str]) -> list[str]:
    raw = os.environ.get(name)
    if raw is None:
        return default
    return [item.strip() for item in raw.split(",") if item.strip()]


def env_json(name: str, default: dict[str, str]) -> dict[str, str]:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    try:
        value = json.loads(raw)
    except ValueError:
        raise ImproperlyConfigured(
            f'{name} must be a JSON object, e.g. {{"key": "value"}}.'
        ) from None
    if not isinstance(value, dict) or not all(isinstance(v, str) for v in value.values()):
        raise ImproperlyConfigured(f"{name} must be a JSON object of strings.")
    return value


def make_data_dir(data_dir: Path) -> None:
    """Create the data folder readable by this user only: it holds keys and the database."""
    data_dir.mkdir(mode=0o700, parents=True, exist_ok=True)


def create_private_file(path: Path) -> None:
    """Create ``path`` empty with mode 0600 unless it exists; tighten it if it is readable
    by others. SQLite then opens a file that only this user can read (it gives its -wal and
    -shm files the same mode)."""
    make_data_dir(path.parent)
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    except FileExistsError:
        if path.stat().st_mode & 0o077:
            path.chmod(0o600)


def load_or_create_secret_key(data_dir: Path) -> str:
    """Keep a generated key in the data folder so sessions survive restarts."""
    path = data_dir / "secret_key"
    if path.exists():
        return path.read_text().strip()
    make_data_dir(data_dir)
    key = secrets.token_urlsafe(50)
    # O_EXCL: two processes starting at once must not overwrite each other's key.
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_or_create_encryption_key(data_dir: Path) -> str:
    """A Fernet key kept beside the database, for single-node installs."""
    from cryptography.fernet import Fernet

    path = data_dir / "encryption_key"
    if path.exists():
        return path.read_text().strip()
    make_data_dir(data_dir)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    key = Fernet.generate_key().decode()
    with os.fdopen(fd, "w") as handle:
        handle.write(key)
    return key


def load_or_create_rsa_key(data_dir: Path) -> str:
    """The OpenID Connect signing key (RS256), kept beside the database for one node."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    path = data_dir / "oidc_rsa_key.pem"
    if path.exists():
        return path.read_text()
    make_data_dir(data_dir)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text()
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    with os.fdopen(fd, "w") as handle:
        handle.write(pem)
    return pem


@dataclass(frozen=True)
class Config:
    data_dir: Path
    debug: bool
    secret_key: str
    encryption_keys: list[str]
    database_url: str
    redis_url: str
    allowed_hosts: list[str]
    csrf_trusted_origins: list[str]
    cookie_secure: bool
    hsts_seconds: int
    behind_proxy: bool
    json_logs: bool
    log_level: str
    organisation_name: str
    email_backend: str
    email_host: str
    email_port: int
    email_user: str
    email_password: str
    email_use_tls: bool
    email_from: str
    sms_gateway: str
    public_url: str
    webauthn_rp_id: str
    webauthn_origins: list[str]
    oidc_rsa_private_key: str
    forward_auth_hosts: list[str]
    gateway_timeout_seconds: int
    twilio_account_sid: str
    twilio_auth_token: str
    twilio_from_number: str
    twilio_api_url: str
    http_sms_url: str
    http_sms_method: str
    http_sms_headers: dict[str, str]
    http_sms_fields: dict[str, str]
    http_sms_body_format: str
    http_sms_success_pattern: str
    http_sms_id_pattern: str
    phone_code_minutes: int
    argon2_memory_kib: int
    argon2_time_cost: int
    argon2_parallelism: int
    password_min_length: int
    lockout_threshold: int
    lockout_seconds: int
    ip_failure_limit: int
    session_hours: int
    database_pool_size: int
    push_challenge_seconds: int
    push_activation_minutes: int
    push_location_header: str
    location_header: str
    allow_devphone: bool
    metrics_token: str


def load_config() -> Config:
    data_dir = Path(env_str("TWOFOLD_DATA_DIR", str(Path.cwd() / "data"))).resolve()
    debug = env_bool("TWOFOLD_DEBUG", False)
    secret_key = env_str("TWOFOLD_SECRET_KEY") or load_or_create_secret_key(data_dir)
    return Config(
        data_dir=data_dir,
        debug=debug,
        secret_key=secret_key,
        # First key encrypts; the others still decrypt, so keys can be rotated.
        encryption_keys=env_list("TWOFOLD_ENCRYPTION_KEYS", [])
        or [load_or_create_encryption_key(data_dir)],
        database_url=env_str("TWOFOLD_DATABASE_URL"),
        redis_url=env_str("TWOFOLD_REDIS_URL"),
        allowed_hosts=env_list("TWOFOLD_ALLOWED_HOSTS", ["localhost", "127.0.0.1", "[::1]"]),
        csrf_trusted_origins=env_list("TWOFOLD_CSRF_TRUSTED_ORIGINS", []),
        cookie_secure=env_bool("TWOFOLD_COOKIE_SECURE", True),
        hsts_seconds=env_int("TWOFOLD_HSTS_SECONDS", 0),
        behind_proxy=env_bool("TWOFOLD_BEHIND_PROXY", False),
        json_logs=env_bool("TWOFOLD_JSON_LOGS", False),
        log_level=env_str("TWOFOLD_LOG_LEVEL", "INFO").upper(),
        organisation_name=env_str("TWOFOLD_ORGANISATION_NAME", "Twofold"),
        email_backend=env_str("TWOFOLD_EMAIL_BACKEND", "console"),
        email_host=env_str("TWOFOLD_EMAIL_HOST", "localhost"),
        email_port=env_int("TWOFOLD_EMAIL_PORT", 25, minimum=1, maximum=65535),
        email_user=env_str("TWOFOLD_EMAIL_USER"),
        email_password=env_str("TWOFOLD_EMAIL_PASSWORD"),
        email_use_tls=env_bool("TWOFOLD_EMAIL_USE_TLS", False),
        email_from=env_str("TWOFOLD_EMAIL_FROM", "twofold@localhost"),
        sms_gateway=env_str("TWOFOLD_SMS_GATEWAY", "devphone"),
        public_url=env_str("TWOFOLD_PUBLIC_URL", "http://127.0.0.1:8000"),
        webauthn_rp_id=env_str("TWOFOLD_WEBAUTHN_RP_ID", "localhost"),
        webauthn_origins=env_list("TWOFOLD_WEBAUTHN_ORIGINS", ["http://localhost:8000"]),
        oidc_rsa_private_key=os.environ.get("TWOFOLD_OIDC_RSA_PRIVATE_KEY", "")
        or load_or_create_rsa_key(data_dir),
        forward_auth_hosts=env_list("TWOFOLD_FORWARD_AUTH_HOSTS", []),
        gateway_timeout_seconds=env_int(
            "TWOFOLD_GATEWAY_TIMEOUT_SECONDS", 10, minimum=1, maximum=60
        ),
        twilio_account_sid=env_str("TWOFOLD_TWILIO_ACCOUNT_SID"),
        twilio_auth_token=env_str("TWOFOLD_TWILIO_AUTH_TOKEN"),
        twilio_from_number=env_str("TWOFOLD_TWILIO_FROM"),
        twilio_api_url=env_str("TWOFOLD_TWILIO_API_URL", "https://api.twilio.com"),
        http_sms_url=env_str("TWOFOLD_HTTP_SMS_URL"),
        http_sms_method=env_str("TWOFOLD_HTTP_SMS_METHOD", "POST").upper(),
        http_sms_headers=env_json("TWOFOLD_HTTP_SMS_HEADERS", {}),
        http_sms_fields=env_json("TWOFOLD_HTTP_SMS_FIELDS", {"to": "{to}", "text": "{body}"}),
        http_sms_body_format=env_str("TWOFOLD_HTTP_SMS_BODY_FORMAT", "form"),
        http_sms_success_pattern=env_str("TWOFOLD_HTTP_SMS_SUCCESS_PATTERN"),
        http_sms_id_pattern=env_str("TWOFOLD_HTTP_SMS_ID_PATTERN"),
        phone_code_minutes=env_int("TWOFOLD_PHONE_CODE_MINUTES", 5, minimum=1, maximum=30),
        # OWASP's argon2id recommendation: m=19 MiB, t=2, p=1.
        argon2_memory_kib=env_int("TWOFOLD_ARGON2_MEMORY_KIB", 19456, minimum=8192),
        argon2_time_cost=env_int("TWOFOLD_ARGON2_TIME_COST", 2, minimum=1),
        argon2_parallelism=env_int("TWOFOLD_ARGON2_PARALLELISM", 1, minimum=1),
        password_min_length=env_int("TWOFOLD_PASSWORD_MIN_LENGTH", 10, minimum=8, maximum=128),
        lockout_threshold=env_int("TWOFOLD_LOCKOUT_THRESHOLD", 10, minimum=1),
        lockout_seconds=env_int("TWOFOLD_LOCKOUT_SECONDS", 60, minimum=1),
        ip_failure_limit=env_int("TWOFOLD_IP_FAILURE_LIMIT", 100, minimum=1),
        session_hours=env_int("TWOFOLD_SESSION_HOURS", 12, minimum=1, maximum=24 * 90),
        database_pool_size=env_int("TWOFOLD_DATABASE_POOL_SIZE", 10, minimum=2, maximum=500),
        push_challenge_seconds=env_int(
            "TWOFOLD_PUSH_CHALLENGE_SECONDS", 120, minimum=30, maximum=600
        ),
        push_activation_minutes=env_int(
            "TWOFOLD_PUSH_ACTIVATION_MINUTES", 10, minimum=2, maximum=60
        ),
        push_location_header=env_str("TWOFOLD_PUSH_LOCATION_HEADER"),
        # The push header names the same thing; one header set at the proxy serves both.
        location_header=env_str("TWOFOLD_LOCATION_HEADER")
        or env_str("TWOFOLD_PUSH_LOCATION_HEADER"),
        allow_devphone=env_bool("TWOFOLD_ALLOW_DEVPHONE", False),
        metrics_token=env_str("TWOFOLD_METRICS_TOKEN"),
    )

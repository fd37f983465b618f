"""Django settings, built from :mod:`twofold.config` (environment variables)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import dj_database_url
from django.utils.translation import gettext_lazy as _

from twofold.config import create_private_file, load_config

CONFIG = load_config()
BASE_DIR = Path(__file__).resolve().parent

DEBUG = CONFIG.debug
SECRET_KEY = CONFIG.secret_key
TWOFOLD_ENCRYPTION_KEYS = CONFIG.encryption_keys
ALLOWED_HOSTS = CONFIG.allowed_hosts
CSRF_TRUSTED_ORIGINS = CONFIG.csrf_trusted_origins
TWOFOLD_ORGANISATION_NAME = CONFIG.organisation_name

INSTALLED_APPS = [
    "twofold.core",
    "twofold.accounts",
    "twofold.audit",
    "twofold.fraud",
    "twofold.signin",
    "twofold.methods",
    "twofold.messaging",
    "twofold.push",
    "twofold.policy",
    "twofold.registration",
    "twofold.securityinfo",
    "twofold.activity",
    "twofold.sspr",
    "twofold.apppasswords",
    "twofold.forwardauth",
    "twofold.oidc",
    "twofold.api",
    # Serves the API docs page's Swagger UI from static files (no CDN, so the CSP holds).
    "ninja",
    "oauth2_provider",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
]

MIDDLEWARE = [
    "twofold.core.middleware.RequestMetricsMiddleware",
    "twofold.api.middleware.ProblemResponseMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "twofold.core.middleware.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "twofold.signin.familiar.FamiliarDeviceMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "twofold.registration.middleware.RegistrationInterruptMiddleware",
    "twofold.securityinfo.views.StepUpMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
]

ROOT_URLCONF = "twofold.urls"
ASGI_APPLICATION = "twofold.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "twofold.core.context_processors.organisation",
            ],
        },
    },
]

# --- Database: SQLite (WAL) in the data folder unless TWOFOLD_DATABASE_URL says otherwise.
if CONFIG.database_url:
    DATABASES = {"default": dj_database_url.parse(CONFIG.database_url, conn_max_age=0)}
    if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
        # A new PostgreSQL connection costs ~4 ms; the pool keeps a few open per process.
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": 2,
            "max_size": CONFIG.database_pool_size,
            "timeout": 10,
        }
else:
    # Created 0600 (in a 0700 folder) before SQLite opens it: it holds password hashes.
    create_private_file(CONFIG.data_dir / "twofold.sqlite3")
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(CONFIG.data_dir / "twofold.sqlite3"),
            "OPTIONS": {
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
                # IMMEDIATE takes the write lock up front, so two writers queue
                # instead of failing with "database is locked" mid-transaction.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
            },
            # A file, not memory, so tests see real locking between connections.
            "TEST": {"NAME": str(CONFIG.data_dir / "test-twofold.sqlite3")},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache (rate limits, lockout counters, session cache): Redis when configured.
if CONFIG.redis_url:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CONFIG.redis_url,
            "KEY_PREFIX": "twofold",
            "OPTIONS": {"socket_connect_timeout": 2, "socket_timeout": 2},
        }
    }
else:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": "twofold",
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

# --- Accounts, passwords, sessions.
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["twofold.accounts.backends.PrincipalNameBackend"]
PASSWORD_HASHERS = ["twofold.accounts.hashers.TwofoldArgon2Hasher"]
TWOFOLD_ARGON2 = {
    "memory_cost": CONFIG.argon2_memory_kib,
    "time_cost": CONFIG.argon2_time_cost,
    "parallelism": CONFIG.argon2_parallelism,
}
AUTH_PASSWORD_VALIDATORS = [
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": CONFIG.password_min_length},
    },
    {"NAME": "twofold.accounts.passwords.MaximumLengthValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator",
        "OPTIONS": {"user_attributes": ("username", "display_name", "email")},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
    {"NAME": "twofold.accounts.passwords.OrganisationNameValidator"},
]
TWOFOLD_LOCKOUT = {
    "threshold": CONFIG.lockout_threshold,
    "seconds": CONFIG.lockout_seconds,
    "ip_failure_limit": CONFIG.ip_failure_limit,
}

SESSION_ENGINE = "twofold.accounts.sessions"
SESSION_COOKIE_AGE = CONFIG.session_hours * 3600
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = CONFIG.cookie_secure
CSRF_COOKIE_SECURE = CONFIG.cookie_secure
CSRF_COOKIE_HTTPONLY = True
CSRF_COOKIE_SAMESITE = "Lax"
if CONFIG.cookie_secure:
    # The __Host- prefix makes the browser refuse the cookie unless it is Secure,
    # host-only and path=/, so a sibling subdomain cannot plant a session.
    SESSION_COOKIE_NAME = "__Host-twofold_session"
    CSRF_COOKIE_NAME = "__Host-twofold_csrf"
else:
    SESSION_COOKIE_NAME = "twofold_session"
    CSRF_COOKIE_NAME = "twofold_csrf"
CSRF_FAILURE_VIEW = "twofold.core.views.csrf_failure"
LOGIN_URL = "signin_show_form"
LOGIN_REDIRECT_URL = "core_show_home"

# --- OpenID Connect provider (django-oauth-toolkit).
# Clients are registered by administrators only (admin, `twofold oidcclient`); the only
# flow is the authorization code with PKCE S256, plus refresh tokens.
OAUTH2_PROVIDER = {
    "OIDC_ENABLED": True,
    "OIDC_RSA_PRIVATE_KEY": CONFIG.oidc_rsa_private_key,
    # The issuer and every advertised endpoint come from the configured address, never
    # from the Host header, which a client can choose.
    "OIDC_ISS_ENDPOINT": CONFIG.public_url.rstrip("/") + "/o",
    "OIDC_RP_INITIATED_LOGOUT_ENABLED": True,
    "OIDC_RP_INITIATED_LOGOUT_ALWAYS_PROMPT": False,
    # Only registered post-logout addresses are followed (no fallback to redirect URIs).
    "OIDC_RP_INITIATED_LOGOUT_STRICT_REDIRECT_URIS": True,
    "OIDC_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OIDC_TOKEN_ENDPOINT_AUTH_METHODS_SUPPORTED": [
        "client_secret_basic",
        "client_secret_post",
        "none",
    ],
    "OAUTH2_RESPONSE_TYPES_SUPPORTED": ["code"],
    "OAUTH2_GRANT_TYPES_SUPPORTED": ["authorization_code", "refresh_token"],
    "PKCE_REQUIRED": True,
    "OIDC_SERVER_CLASS": "twofold.oidc.server.Server",
    "OAUTH2_VALIDATOR_CLASS": "twofold.oidc.validators.TwofoldValidator",
    "APPLICATION_ADMIN_CLASS": "twofold.oidc.admin.ApplicationAdmin",
    "SCOPES": {
        "openid": _("Sign you in"),
        "profile": _("Your name and account name"),
        "email": _("Your email address"),
    },
    "DEFAULT_SCOPES": ["openid"],
    "AUTHORIZATION_CODE_EXPIRE_SECONDS": 60,
    "ACCESS_TOKEN_EXPIRE_SECONDS": 3600,
    "ID_TOKEN_EXPIRE_SECONDS": 3600,
    "REFRESH_TOKEN_EXPIRE_SECONDS": 14 * 24 * 3600,
    "ROTATE_REFRESH_TOKEN": True,
    # A rotated refresh token presented again means it was copied: the whole family
    # (every token of that sign-in) is revoked.
    "REFRESH_TOKEN_REUSE_PROTECTION": True,
    "REFRESH_TOKEN_GRACE_PERIOD_SECONDS": 0,
    "ALLOW_URI_WILDCARDS": False,
    # https everywhere; http only for loopback callbacks of native apps (RFC 8252),
    # which Twofold's own redirect URI check enforces when clients are registered.
    "ALLOWED_REDIRECT_URI_SCHEMES": ["http", "https"],
    # RFC 9700 (OAuth 2.0 Security BCP), enforced rather than merely warned about:
    # no implicit or password grant, no "plain" PKCE, no access token in a URL, the
    # `iss` authorization-response parameter (mix-up defence), tokens hashed at rest.
    "COMPLIANT_BCP_RFC9700_IMPLICIT_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PASSWORD_GRANT": True,
    "COMPLIANT_BCP_RFC9700_PKCE_METHOD": True,
    "COMPLIANT_BCP_RFC9700_ACCESS_TOKEN_TRANSPORT": True,
    "COMPLIANT_BCP_RFC9700_AUTHZ_RESPONSE_ISS": True,
    "COMPLIANT_BCP_RFC9700_TOKEN_STORAGE": True,
    "COMPLIANT_BCP_RFC9700_REFRESH_TOKEN": True,
    "COMPLIANT_BCP_RFC9700_REDIRECT_URI_MATCHING": True,
    "COMPLIANT_BCP_RFC9700_PKCE_REQUIRED": True,
}
# W008 says the toolkit accepts http redirect URIs; Twofold's only ways to register a
# client (admin form, `twofold oidcclient`) accept http for loopback addresses alone.
SILENCED_SYSTEM_CHECKS = ["oauth2_provider.W008"]

# --- HTTP security.
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SECURE_HSTS_SECONDS = CONFIG.hsts_seconds
SECURE_HSTS_INCLUDE_SUBDOMAINS = CONFIG.hsts_seconds > 0
X_FRAME_OPTIONS = "DENY"
if CONFIG.behind_proxy:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    TWOFOLD_TRUST_X_FORWARDED_FOR = True
else:
    TWOFOLD_TRUST_X_FORWARDED_FOR = False
DATA_UPLOAD_MAX_MEMORY_SIZE = 256 * 1024
DATA_UPLOAD_MAX_NUMBER_FIELDS = 200

# --- Email.
EMAIL_BACKEND = {
    "console": "django.core.mail.backends.console.EmailBackend",
    "file": "django.core.mail.backends.filebased.EmailBackend",
    "smtp": "django.core.mail.backends.smtp.EmailBackend",
    "memory": "django.core.mail.backends.locmem.EmailBackend",
}.get(CONFIG.email_backend, CONFIG.email_backend)
EMAIL_FILE_PATH = CONFIG.data_dir / "mail"
EMAIL_HOST = CONFIG.email_host
EMAIL_PORT = CONFIG.email_port
EMAIL_HOST_USER = CONFIG.email_user
EMAIL_HOST_PASSWORD = CONFIG.email_password
EMAIL_USE_TLS = CONFIG.email_use_tls
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = CONFIG.email_from
TWOFOLD_SMS_GATEWAY = CONFIG.sms_gateway
TWOFOLD_PUBLIC_URL = CONFIG.public_url
TWOFOLD_ALLOW_DEVPHONE = CONFIG.allow_devphone
TWOFOLD_METRICS_TOKEN = CONFIG.metrics_token
# Security keys are bound to this relying-party ID (a domain, never an IP address) and
# accepted only from these page origins.
TWOFOLD_WEBAUTHN_RP_ID = CONFIG.webauthn_rp_id
TWOFOLD_WEBAUTHN_ORIGINS = CONFIG.webauthn_origins
# Hosts (host[:port]) of apps behind forward-auth, where sign-in may send people back to.
TWOFOLD_FORWARD_AUTH_HOSTS = CONFIG.forward_auth_hosts
TWOFOLD_GATEWAY_TIMEOUT_SECONDS = CONFIG.gateway_timeout_seconds
TWOFOLD_TWILIO = {
    "account_sid": CONFIG.twilio_account_sid,
    "auth_token": CONFIG.twilio_auth_token,
    "from_number": CONFIG.twilio_from_number,
    "api_url": CONFIG.twilio_api_url,
}
TWOFOLD_HTTP_SMS = {
    "url": CONFIG.http_sms_url,
    "method": CONFIG.http_sms_method,
    "headers": CONFIG.http_sms_headers,
    "fields": CONFIG.http_sms_fields,
    "body_format": CONFIG.http_sms_body_format,
    "success_pattern": CONFIG.http_sms_success_pattern,
    "id_pattern": CONFIG.http_sms_id_pattern,
}
TWOFOLD_PHONE_CODE_MINUTES = CONFIG.phone_code_minutes
# Texts and calls: limits against SMS pumping and toll fraud (twofold.messaging.services).
# Each journey has a budget of its own per person (at the reset portal, per typed name), so
# setting up a phone never uses up signing in. Sized for what a person does: setting up a
# few numbers with a resend or two each; a sign-in or step-up with a resend, several a day.
# A person (or name) also has a cap across journeys, and a number and a country across people.
TWOFOLD_MESSAGE_LIMITS: dict[str, Any] = {
    "budgets": {
        "registration": {"per_15_minutes": 10, "per_day": 20, "per_number_hour": 5},
        "sign-in": {"per_15_minutes": 5, "per_day": 20, "per_number_hour": 5},
        "step-up": {"per_15_minutes": 5, "per_day": 10, "per_number_hour": 5},
        "password-reset": {"per_15_minutes": 5, "per_day": 10, "per_number_hour": 5},
    },
    "per_user_day": 30,
    "per_number_hour": 10,
    "per_country_hour": 200,
}
# REST API: calls a minute per token, and bad tokens a minute per address before it is held
# back (twofold.api.security).
TWOFOLD_API_LIMITS = {"per_minute": 600, "bad_tokens_per_minute": 30}
# Authenticator app notifications (twofold.push.services): at most per_hour an hour for
# anyone, and a pause of fatigue_pause_minutes after fatigue_streak in a row went
# unanswered or were denied (an approval ends the run).
TWOFOLD_PUSH_LIMITS = {"per_hour": 20, "fatigue_streak": 3, "fatigue_pause_minutes": 15}

# Authenticator app notifications: how long one may be answered, how long an activation
# code works, and a reverse proxy's header holding the caller's location (e.g. a GeoIP city).
TWOFOLD_PUSH_CHALLENGE_SECONDS = CONFIG.push_challenge_seconds
TWOFOLD_PUSH_ACTIVATION_MINUTES = CONFIG.push_activation_minutes
TWOFOLD_PUSH_LOCATION_HEADER = CONFIG.push_location_header
# The reverse proxy's header with the caller's location (e.g. CF-IPCountry), recorded with
# audit events and shown under Recent activity; read only from requests through the proxy.
TWOFOLD_LOCATION_HEADER = CONFIG.location_header
TWOFOLD_REDIS_URL = CONFIG.redis_url

# --- Languages.
LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("nl", _("Dutch"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
USE_TZ = True
TIME_ZONE = "UTC"

# --- Static files, served by WhiteNoise so one process is a complete node.
STATIC_URL = "/static/"
STATIC_ROOT = CONFIG.data_dir / "static"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True

# --- Logging: plain text by default, one JSON object per line with TWOFOLD_JSON_LOGS.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "filters": {
        "redact": {"()": "twofold.core.logging.RedactSecretsFilter"},
        "no_query": {"()": "twofold.core.logging.DropQueryStringFilter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "json" if CONFIG.json_logs else "plain",
            "filters": ["redact"],
        }
    },
    "root": {"handlers": ["console"], "level": CONFIG.log_level},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        # Query strings carry device signatures and sign-in codes: the access log keeps paths.
        "uvicorn.access": {"filters": ["no_query"]},
    },
}

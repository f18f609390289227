"""Configuration: defaults, then instance/config.py, then the environment, then the test config.

Kept free of side effects except `ensure_secret_key`, which writes the development key once.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from flask import Flask

from .pacing import FEEDBACK_DAYS

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class ConfigError(SystemExit):
    """A configuration problem that stops the app with one clear line (no traceback)."""

    def __init__(self, message: str) -> None:
        super().__init__(f"course: {message}")


# The demo clinic's zone (course/demo.py gives its people this zone too).
DEMO_TIMEZONE = "America/Denver"


class MissingSecretKey(ConfigError):
    """SECRET_KEY is not set where one is required."""

    def __init__(self) -> None:
        super().__init__(
            "SECRET_KEY is not set. Set the SECRET_KEY environment variable (or COURSE_ENV=development "
            "for a local trial)."
        )


def require_secret_key(app: Flask) -> None:
    """Stop with one line when the app has no secret key (a command that signs links or sessions)."""
    if not app.config.get("SECRET_KEY"):
        raise MissingSecretKey()


DEFAULTS: dict[str, Any] = {
    # "development" lets the app invent a secret key and load demo data; anything else is production.
    "COURSE_ENV": "production",
    "DATABASE_URL": None,  # SQLite in instance/ when unset
    # No default: required outside development.
    "SECRET_KEY": None,  # nosec B105
    "COURSE_CONTENT_DIR": str(PROJECT_ROOT / "modules"),
    # A folder of extra questionnaire definitions a clinic holds a licence for (BPI, PCS, ISI...).
    "COURSE_MEASURES_DIR": None,
    "COURSE_BASE_URL": "http://127.0.0.1:5000",
    # The clinic's zone: a new patient's weeks open at its midnight unless their browser says otherwise.
    # Unset: the demo clinic's zone in development, UTC elsewhere.
    "COURSE_DEFAULT_TIMEZONE": None,
    "COURSE_CLINIC_NAME": "Your clinic",
    "COURSE_CRISIS_LINE": (
        "In the US, call or text 988 (Suicide & Crisis Lifeline), or chat at 988lifeline.org."
    ),
    "COURSE_EMERGENCY_NUMBER": "911",
    "COURSE_INVITE_DAYS": 14,
    # The clinic's stated response time to a patient's message, in working days (shown with the messages).
    "COURSE_REPLY_DAYS": 2,
    # Messages one account may send (patients and therapists alike).
    "COURSE_MESSAGE_LIMIT": "30 per hour; 200 per day",
    "COURSE_RESET_HOURS": 2,
    # A feedback moment waits this many days for the therapist's reply; then what it holds opens anyway.
    "COURSE_FEEDBACK_DAYS": FEEDBACK_DAYS,
    "MAIL_SERVER": None,
    "MAIL_PORT": 587,
    "MAIL_USE_TLS": True,
    "MAIL_USE_SSL": False,
    "MAIL_USERNAME": None,
    # Set by the clinic.
    "MAIL_PASSWORD": None,  # nosec B105
    "MAIL_DEFAULT_SENDER": "Pain course <no-reply@localhost>",
    # The domain after the @ of every Message-ID; the sender's own domain when unset.
    "MAIL_MESSAGE_ID_DOMAIN": None,
    "MAIL_BACKEND": None,  # "smtp", "outbox" or "memory"; chosen from MAIL_SERVER when unset
    # None means: secure everywhere except local development and tests (decided in load_config).
    "SESSION_COOKIE_SECURE": None,
    "REMEMBER_COOKIE_SECURE": None,
    "SESSION_COOKIE_HTTPONLY": True,
    "SESSION_COOKIE_SAMESITE": "Lax",
    "REMEMBER_COOKIE_HTTPONLY": True,
    "REMEMBER_COOKIE_SAMESITE": "Lax",
    "WTF_CSRF_TIME_LIMIT": 3600 * 8,
    "MAX_CONTENT_LENGTH": 1024 * 1024,
    "RATELIMIT_STORAGE_URI": "memory://",
    "RATELIMIT_HEADERS_ENABLED": False,
    # A lost Redis never fails a request: each worker counts on its own until it is back (the log and
    # /readyz say so).
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
    # How many proxies in front of the app add X-Forwarded-For and X-Forwarded-Proto (Caddy: 1). 0 when
    # clients reach the app directly: then those headers are ignored, whoever sends them.
    "COURSE_TRUSTED_PROXIES": 0,
    # How many processes serve the app on this host; deploy/gunicorn.conf.py sets it from its own count.
    "COURSE_WORKERS": 1,
    # "json": one JSON object a line (production); "text": Flask's plain lines (development and tests).
    "COURSE_LOG_FORMAT": None,
    "COURSE_LOG_LEVEL": "INFO",
    # Failed sign-ins: per typed email, and per address (a clinic's shared wifi needs the higher number).
    "COURSE_LOGIN_LIMIT_ACCOUNT": "5 per minute; 20 per hour",
    "COURSE_LOGIN_LIMIT_ADDRESS": "30 per minute; 200 per hour",
    # Therapists and admins are signed out after this many idle minutes (patients are not: they write long).
    "COURSE_STAFF_IDLE_MINUTES": 30,
    # The absolute end of a sign-in, however active: staff, and patients (who may keep theirs on a device).
    "COURSE_STAFF_SESSION_HOURS": 12,
    "COURSE_PATIENT_SESSION_DAYS": 30,
    # One password-reset email per account every so many minutes, whoever asks; reset requests per address.
    "COURSE_RESET_EMAIL_MINUTES": 5,
    "COURSE_RESET_LIMIT_ADDRESS": "10 per hour",
    # Second-factor codes tried, per account (and per address: COURSE_LOGIN_LIMIT_ADDRESS).
    "COURSE_CODE_LIMIT_ACCOUNT": "5 per minute; 20 per hour",
    "COURSE_DELETION_GRACE_DAYS": 14,
    # What a person posted after their session ended is kept this long for them to sign in and save it.
    "COURSE_KEPT_TEXT_HOURS": 24,
    # How often one address may have posted words kept that way.
    "COURSE_KEEP_LIMIT": "20 per hour",
    # The clinic's age public key ("age1..."): `flask backup` encrypts to it (make one: `flask backup-key`).
    "COURSE_BACKUP_RECIPIENT": None,
    # For `flask restore` of an encrypted backup: the identity file's path, or the secret key itself.
    "COURSE_BACKUP_IDENTITY": None,
}

_INT_KEYS = {
    "MAIL_PORT",
    "COURSE_INVITE_DAYS",
    "COURSE_FEEDBACK_DAYS",
    "COURSE_REPLY_DAYS",
    "COURSE_RESET_HOURS",
    "COURSE_STAFF_IDLE_MINUTES",
    "COURSE_DELETION_GRACE_DAYS",
    "COURSE_KEPT_TEXT_HOURS",
    "COURSE_STAFF_SESSION_HOURS",
    "COURSE_PATIENT_SESSION_DAYS",
    "COURSE_RESET_EMAIL_MINUTES",
    "COURSE_TRUSTED_PROXIES",
    "COURSE_WORKERS",
}
_ENV_EXTRA = (
    "RATELIMIT_STORAGE_URI",
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED",
    "SESSION_COOKIE_SECURE",
    "REMEMBER_COOKIE_SECURE",
)
_BOOL_KEYS = {
    "MAIL_USE_TLS",
    "MAIL_USE_SSL",
    "SESSION_COOKIE_SECURE",
    "REMEMBER_COOKIE_SECURE",
    "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED",
}


def _from_environment() -> dict[str, Any]:
    """Settings taken from environment variables: DATABASE_URL, SECRET_KEY, COURSE_* and MAIL_*."""
    found: dict[str, Any] = {}
    for key, raw in os.environ.items():
        if key in ("DATABASE_URL", "SECRET_KEY", *_ENV_EXTRA) or key.startswith(("COURSE_", "MAIL_")):
            value: Any = raw
            if key in _INT_KEYS:
                value = int(raw)
            elif key in _BOOL_KEYS:
                value = raw.strip().lower() in ("1", "true", "yes", "on")
            found[key] = value
    return found


def load_config(app: Flask, test_config: dict[str, Any] | None, *, secret_key_optional: bool = False) -> None:
    """Fill app.config in the documented order and derive the settings that depend on others.

    Outside development and tests a missing SECRET_KEY stops the app, unless `secret_key_optional` (a
    command line that may not need one: the commands that do call `require_secret_key`).
    """
    app.config.from_mapping(DEFAULTS)
    if test_config is None:
        app.config.from_pyfile("config.py", silent=True)
        app.config.update(_from_environment())
    else:
        app.config.update(test_config)

    if not app.config["DATABASE_URL"]:
        app.config["DATABASE_URL"] = f"sqlite:///{Path(app.instance_path) / 'course.sqlite3'}"
    app.config["DATABASE_URL"] = normalise_database_url(app.config["DATABASE_URL"])

    development = is_development(app)
    if not app.config["COURSE_DEFAULT_TIMEZONE"]:
        app.config["COURSE_DEFAULT_TIMEZONE"] = DEMO_TIMEZONE if development else "UTC"
    try:
        ZoneInfo(str(app.config["COURSE_DEFAULT_TIMEZONE"]))
    except (KeyError, ValueError):
        raise ConfigError(
            f"COURSE_DEFAULT_TIMEZONE {app.config['COURSE_DEFAULT_TIMEZONE']!r} is not a time zone. "
            "Use an IANA name such as America/Denver or Europe/London."
        ) from None
    for key in ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE"):
        if app.config.get(key) is None:
            app.config[key] = not development and not app.testing
    if not app.config["SECRET_KEY"]:
        if development or app.testing:
            app.config["SECRET_KEY"] = ensure_secret_key(Path(app.instance_path))
        elif not secret_key_optional:
            raise MissingSecretKey()
    # A patient who keeps their sign-in on a device keeps its cookie this long; the server ends it then too.
    app.config["PERMANENT_SESSION_LIFETIME"] = timedelta(days=int(app.config["COURSE_PATIENT_SESSION_DAYS"]))
    if app.config["MAIL_BACKEND"] is None:
        app.config["MAIL_BACKEND"] = "smtp" if app.config["MAIL_SERVER"] else "outbox"
    if app.config["COURSE_LOG_FORMAT"] is None:
        app.config["COURSE_LOG_FORMAT"] = "text" if development or app.testing else "json"
    if str(app.config["RATELIMIT_STORAGE_URI"]).startswith(("redis://", "rediss://")):
        # A Redis that stops answering must not hold a sign-in for long: after a second the limiter counts
        # in this worker's memory instead (RATELIMIT_IN_MEMORY_FALLBACK_ENABLED).
        app.config.setdefault("RATELIMIT_STORAGE_OPTIONS", {"socket_connect_timeout": 1, "socket_timeout": 1})
    for key in ("COURSE_TRUSTED_PROXIES", "COURSE_WORKERS"):
        if int(app.config[key]) < 0:
            raise ConfigError(f"{key} must be 0 or more, not {app.config[key]}.")
    if int(app.config["COURSE_FEEDBACK_DAYS"]) < 1:
        raise ConfigError(
            f"COURSE_FEEDBACK_DAYS must be 1 or more, not {app.config['COURSE_FEEDBACK_DAYS']}."
        )
    if not development and not app.testing:
        check_shared_limits(app, int(app.config["COURSE_WORKERS"]))


def check_shared_limits(app: Flask, workers: int) -> None:
    """Refuse to serve with several workers whose sign-in limits would each count alone.

    With `memory://` storage every worker keeps its own counters, so each limit is multiplied by the number
    of workers. Called by `load_config` with COURSE_WORKERS, and by deploy/gunicorn.conf.py with the number
    gunicorn really starts.
    """
    uri = str(app.config["RATELIMIT_STORAGE_URI"])
    if workers > 1 and uri.startswith("memory://"):
        raise ConfigError(
            f"RATELIMIT_STORAGE_URI is {uri} but {workers} workers serve the app, so each would count "
            "sign-in failures on its own; set RATELIMIT_STORAGE_URI=redis://... or run one worker "
            "(COURSE_WORKERS=1)."
        )


def is_development(app: Flask) -> bool:
    """True when the app runs as a local development or demo installation."""
    return str(app.config.get("COURSE_ENV", "")).lower() == "development"


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL URLs that do not name a driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def ensure_secret_key(instance_path: Path) -> str:
    """Return the development secret key, generating it into instance/ the first time."""
    key_file = instance_path / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance_path.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    key_file.write_text(key + "\n")
    key_file.chmod(0o600)
    return key

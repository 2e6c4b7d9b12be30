"""Runtime configuration, read from environment variables only.

Every variable the code reads is listed in ENV_VARS so the docker-compose test can check that
each name a service sets is one the settings know.
"""

from __future__ import annotations

import contextlib
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

ENV_VARS: dict[str, str] = {
    "IOC_KAFKA_BOOTSTRAP": "host:port list of Kafka brokers; unset = start the embedded broker",
    "IOC_DATABASE_URL": "SQLAlchemy URL; default sqlite:///<IOC_VAR_DIR>/ioc.db",
    "IOC_VAR_DIR": "folder for the SQLite file and logs (default ./var)",
    "IOC_PROVINCE_CODE": "province shown and simulated (2025 code, default 25 = Phú Thọ)",
    "IOC_UI_PORT": "Streamlit port (default 8501)",
    "IOC_CONSUMER_GROUP": "aggregator consumer group (default ioc-aggregator)",
    "IOC_TOPIC_PARTITIONS": "partitions per stream topic created at start (default 3)",
    "IOC_SIM_SEED": "simulator random seed (default 20250701)",
    "IOC_SIM_BACKFILL_DAYS": "days of history the simulators backfill at start (default 30)",
    "IOC_SIM_RATE": "simulated volume multiplier (1.0 = a real province's volume, default 1)",
    "IOC_FRESHNESS_SECONDS": "aggregator lag after which the UI shows data as stale (default 60)",
    "IOC_REFRESH_SECONDS": "UI tile refresh interval (default 5)",
    "IOC_CONNECTOR_EXPIRY_HOURS": "a connector's heartbeat not updated this long is a removed "
                                  "connector: its stream no longer counts for freshness "
                                  "(default 24)",
    "IOC_BROKER_MAX_MB": "embedded broker memory budget before compaction (default 1024)",
    "IOC_LOG_LEVEL": "logging level (default INFO)",
    "IOC_REMINDER_SECONDS": "how often the aggregator looks for near-due/overdue dossiers and "
                            "feedback (default 60; 0 = never)",
    "IOC_REMINDER_DIGEST_MINUTES": "new items of an open reminder alert (per agency and kind) "
                                   "are notified at most once in this interval (default 60)",
    "IOC_REMINDER_LIVE_HOURS": "reminders of a stream wait until its newest receipt is this "
                               "recent (a backfill is over; default 6)",
    "IOC_REMINDER_TARGETS": "where reminders go besides the banner and ioc.alerts, comma-"
                            "separated: webhook, email:ADDRESS (default none)",
    "IOC_ADMIN_PASSWORD": "first-run admin password (min 10 chars); unset = generated and "
                          "shown once",
    "IOC_LOGIN_MAX_FAILURES": "failed sign-ins per username before the backoff starts "
                              "(per trusted client, or all others together; default 5)",
    "IOC_LOGIN_LOCK_MINUTES": "longest sign-in delay (the backoff cap) in minutes (default 15)",
    "IOC_LOGIN_CLIENT_MAX_FAILURES": "failed sign-ins per client, across usernames, before "
                                     "the backoff starts (default 20)",
    "IOC_LOGIN_BACKOFF_SECONDS": "first sign-in delay, doubling per further failure "
                                 "(default 30)",
    "IOC_LOGIN_FORGET_HOURS": "failed sign-ins older than this are forgotten (default 24)",
    "IOC_LOGIN_TRUST_DAYS": "a client with a successful sign-in of a username this recent "
                            "counts only its own failures for it (default 30)",
    "IOC_SESSION_IDLE_MINUTES": "a signed-in UI session idle this long falls back to "
                                "anonymous (default 30)",
    "IOC_SESSION_MAX_HOURS": "a signed-in UI session ends this long after the sign-in "
                             "(default 12)",
    "IOC_WEBHOOK_URL": "alert webhook endpoint (http/https); unset = no webhook",
    "IOC_WEBHOOK_SECRET_ENV": "name of the env var holding the webhook HMAC secret "
                              "(default IOC_WEBHOOK_SECRET)",
    "IOC_WEBHOOK_SECRET": "webhook HMAC-SHA256 signing secret; unset = requests are unsigned",
    "IOC_SMTP_HOST": "SMTP server for alert e-mails; unset = no e-mail",
    "IOC_SMTP_PORT": "SMTP port (default 587 with STARTTLS, else 25)",
    "IOC_SMTP_FROM": "sender address of alert e-mails (required with IOC_SMTP_HOST)",
    "IOC_SMTP_STARTTLS": "1/true = upgrade the SMTP connection with STARTTLS (default off)",
    "IOC_SMTP_USER": "SMTP login user (requires STARTTLS); unset = no login",
    "IOC_SMTP_PASSWORD": "SMTP login password",
    "IOC_ANONYMOUS_ROLE": "role of visitors who have not signed in: viewer (default) or empty "
                          "= sign-in required for everything",
    "IOC_AUTH": "local (default) or oidc (st.login; local accounts stay as a fallback)",
    "IOC_OIDC_ROLE_CLAIM": "OIDC claim holding the role or groups (default ioc_role)",
    "IOC_OIDC_ROLE_MAP": "claim value → role, e.g. ioc-admins=admin,ioc-ops=operator",
    "IOC_CRASH_AFTER_DB_COMMIT": "test only: aggregator exits after the Nth DB commit",
}


def _env(name: str, default: str) -> str:
    value = os.environ.get(name, "").strip()
    return value or default


@dataclass(frozen=True)
class Settings:
    kafka_bootstrap: str | None = None
    var_dir: Path = Path("var")
    database_url: str = ""
    province_code: str = "25"
    ui_port: int = 8501
    consumer_group: str = "ioc-aggregator"
    topic_partitions: int = 3
    sim_seed: int = 20250701
    sim_backfill_days: float = 30
    sim_rate: float = 1.0
    freshness_seconds: int = 60
    refresh_seconds: int = 5
    connector_expiry_hours: float = 24
    broker_max_mb: int = 1024
    log_level: str = "INFO"
    reminder_seconds: float = 60
    reminder_digest_minutes: float = 60
    reminder_live_hours: float = 6
    reminder_targets: tuple[str, ...] = ()
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def embedded_broker(self) -> bool:
        return not self.kafka_bootstrap


def load_settings() -> Settings:
    var_dir = Path(_env("IOC_VAR_DIR", "var")).resolve()
    default_db = f"sqlite:///{var_dir / 'ioc.db'}"
    return Settings(
        kafka_bootstrap=os.environ.get("IOC_KAFKA_BOOTSTRAP", "").strip() or None,
        var_dir=var_dir,
        database_url=_env("IOC_DATABASE_URL", default_db),
        province_code=_env("IOC_PROVINCE_CODE", "25"),
        ui_port=int(_env("IOC_UI_PORT", "8501")),
        consumer_group=_env("IOC_CONSUMER_GROUP", "ioc-aggregator"),
        topic_partitions=int(_env("IOC_TOPIC_PARTITIONS", "3")),
        sim_seed=int(_env("IOC_SIM_SEED", "20250701")),
        sim_backfill_days=float(_env("IOC_SIM_BACKFILL_DAYS", "30")),
        sim_rate=float(_env("IOC_SIM_RATE", "1")),
        freshness_seconds=int(_env("IOC_FRESHNESS_SECONDS", "60")),
        refresh_seconds=int(_env("IOC_REFRESH_SECONDS", "5")),
        connector_expiry_hours=float(_env("IOC_CONNECTOR_EXPIRY_HOURS", "24")),
        broker_max_mb=int(_env("IOC_BROKER_MAX_MB", "1024")),
        log_level=_env("IOC_LOG_LEVEL", "INFO"),
        reminder_seconds=float(_env("IOC_REMINDER_SECONDS", "60")),
        reminder_digest_minutes=float(_env("IOC_REMINDER_DIGEST_MINUTES", "60")),
        reminder_live_hours=float(_env("IOC_REMINDER_LIVE_HOURS", "6")),
        reminder_targets=tuple(t.strip() for t in _env("IOC_REMINDER_TARGETS", "").split(",")
                               if t.strip()),
    )


def settings_env(settings: Settings) -> dict[str, str]:
    """The environment that makes a child process load exactly these settings."""
    env = {
        "IOC_VAR_DIR": str(settings.var_dir),
        "IOC_DATABASE_URL": settings.database_url,
        "IOC_PROVINCE_CODE": settings.province_code,
        "IOC_UI_PORT": str(settings.ui_port),
        "IOC_CONSUMER_GROUP": settings.consumer_group,
        "IOC_TOPIC_PARTITIONS": str(settings.topic_partitions),
        "IOC_SIM_SEED": str(settings.sim_seed),
        "IOC_SIM_BACKFILL_DAYS": str(settings.sim_backfill_days),
        "IOC_SIM_RATE": str(settings.sim_rate),
        "IOC_FRESHNESS_SECONDS": str(settings.freshness_seconds),
        "IOC_REFRESH_SECONDS": str(settings.refresh_seconds),
        "IOC_CONNECTOR_EXPIRY_HOURS": str(settings.connector_expiry_hours),
        "IOC_BROKER_MAX_MB": str(settings.broker_max_mb),
        "IOC_LOG_LEVEL": settings.log_level,
        "IOC_REMINDER_SECONDS": str(settings.reminder_seconds),
        "IOC_REMINDER_DIGEST_MINUTES": str(settings.reminder_digest_minutes),
        "IOC_REMINDER_LIVE_HOURS": str(settings.reminder_live_hours),
        "IOC_REMINDER_TARGETS": ",".join(settings.reminder_targets),
    }
    if settings.kafka_bootstrap:
        env["IOC_KAFKA_BOOTSTRAP"] = settings.kafka_bootstrap
    return env


# var/ holds the database, the logs and broker.json: personal data may sit in any of them, so
# only the owner may read them (ASVS 5.0 §14, Decree 13/2023 art. 26 security measures).
PRIVATE_DIR_MODE = 0o700
PRIVATE_FILE_MODE = 0o600


def make_private_dir(path: Path, *, tighten: bool = True) -> Path:
    """Create `path` and its missing parents owner-only; `tighten` also chmods it if it exists."""
    missing = [p for p in (path, *path.parents) if not p.exists()]
    for p in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            p.mkdir(mode=PRIVATE_DIR_MODE)
    if missing or tighten:
        with contextlib.suppress(PermissionError):  # not ours: leave it as it is
            os.chmod(path, PRIVATE_DIR_MODE)
    return path


def make_private_file(path: Path) -> Path:
    """Create `path` if missing, owner read/write only (an existing file is tightened).

    An existing file is never opened: closing any descriptor of an SQLite database drops the
    POSIX locks this process holds on it, and concurrent writers then corrupt it."""
    if not path.exists():
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE_FILE_MODE))
    with contextlib.suppress(PermissionError):
        os.chmod(path, PRIVATE_FILE_MODE)
    return path


def open_private_log(path: Path) -> BinaryIO:
    """Open a log file for appending, created (or tightened) owner read/write only."""
    make_private_dir(path.parent)
    return open(make_private_file(path), "ab")  # the caller owns (and closes) the handle

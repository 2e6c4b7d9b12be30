"""Local accounts in the database: create, change, list, the first admin, and sign-in with a
throttle. Every attempt is recorded in `login_attempts`."""

from __future__ import annotations

import logging
import os
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Engine, and_, func, insert, select, update
from sqlalchemy.exc import IntegrityError

from ioc.auth.passwords import (
    UserError,
    check_password_policy,
    dummy_hash,
    hash_password,
    needs_rehash,
    verify_password,
)
from ioc.auth.permissions import RANK, ROLES, Identity
from ioc.db import schema as s

log = logging.getLogger(__name__)

ADMIN_USERNAME = "admin"
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
# Same text for unknown user, wrong password and disabled account: the answer must not tell
# which usernames exist.
BAD_CREDENTIALS = "wrong username or password"
LOCKED = "too many failed sign-ins; try again later"


class LoginFailed(Exception):
    """`str(exc)` is safe to show; `reason` (bad_credentials | disabled | locked) is for
    logs and tests only."""

    def __init__(self, message: str, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class LoginPolicy:
    max_failures: int = 5
    lock_minutes: float = 15

    @classmethod
    def from_env(cls) -> LoginPolicy:
        failures = os.environ.get("IOC_LOGIN_MAX_FAILURES", "").strip()
        minutes = os.environ.get("IOC_LOGIN_LOCK_MINUTES", "").strip()
        return cls(max_failures=int(failures) if failures else cls.max_failures,
                   lock_minutes=float(minutes) if minutes else cls.lock_minutes)


def normalize_username(username: str) -> str:
    return username.strip().lower()


def _valid_username(username: str) -> str:
    name = normalize_username(username)
    if not _USERNAME_RE.match(name):
        raise UserError("username: 1-64 of a-z 0-9 . _ @ -, starting with a letter or digit")
    return name


def _check_role(role: str) -> str:
    if role not in RANK:
        raise UserError(f"unknown role {role!r}; roles: {', '.join(ROLES)}")
    return role


def _utc(now: datetime | None) -> datetime:
    # Naive UTC like every other timestamp column (schema.py).
    if now is None:
        return datetime.now(UTC).replace(tzinfo=None)
    return now.astimezone(UTC).replace(tzinfo=None) if now.tzinfo else now


# ------------------------------------------------------------------ accounts (DB)

def create_user(engine: Engine, username: str, password: str, role: str,
                now: datetime | None = None) -> None:
    name = _valid_username(username)
    _check_role(role)
    check_password_policy(password, name)
    at = _utc(now)
    row = {"username": name, "password_hash": hash_password(password), "role": role,
           "disabled": False, "created_at": at, "updated_at": at}
    try:
        with engine.begin() as conn:
            conn.execute(insert(s.users), [row])
    except IntegrityError:
        raise UserError(f"user {name!r} already exists") from None
    log.info("user %r created with role %s", name, role)


def _enabled_admins(conn: Any) -> list[str]:
    u = s.users.c
    return list(conn.execute(select(u.username).where(u.role == "admin", u.disabled.is_(False)))
                .scalars())


def _change(engine: Engine, username: str, now: datetime | None, **values: Any) -> None:
    """Update one user; refuse a change that leaves no enabled admin (nobody could manage
    accounts from the UI any more)."""
    name = normalize_username(username)
    u = s.users.c
    with engine.begin() as conn:
        row = conn.execute(select(u.role, u.disabled).where(u.username == name)).first()
        if row is None:
            raise UserError(f"no user {name!r}")
        admins = _enabled_admins(conn)
        stays_admin = (values.get("role", row.role) == "admin"
                       and not values.get("disabled", row.disabled))
        if admins == [name] and not stays_admin:
            raise UserError(f"{name!r} is the last enabled admin")
        conn.execute(update(s.users).where(u.username == name)
                     .values(**values, updated_at=_utc(now)))


def set_role(engine: Engine, username: str, role: str, now: datetime | None = None) -> None:
    _change(engine, username, now, role=_check_role(role))
    log.info("user %r role set to %s", normalize_username(username), role)


def set_disabled(engine: Engine, username: str, disabled: bool,
                 now: datetime | None = None) -> None:
    _change(engine, username, now, disabled=bool(disabled))
    log.info("user %r %s", normalize_username(username), "disabled" if disabled else "enabled")


def set_password(engine: Engine, username: str, password: str,
                 now: datetime | None = None) -> None:
    name = normalize_username(username)
    check_password_policy(password, name)
    _change(engine, name, now, password_hash=hash_password(password))
    log.info("user %r password changed", name)


def list_users(engine: Engine) -> list[dict[str, Any]]:
    """Accounts without their hashes, by username."""
    u = s.users.c
    cols = (u.username, u.role, u.disabled, u.created_at, u.updated_at)
    with engine.connect() as conn:
        return [dict(r._mapping) for r in conn.execute(select(*cols).order_by(u.username))]


def ensure_admin(engine: Engine, env_password: str | None = None) -> str | None:
    """Create user "admin" when no enabled admin exists. Returns the generated password (to
    show once), or None when an admin exists or the password came from the environment."""
    with engine.connect() as conn:
        if _enabled_admins(conn):
            return None
    generated = None if env_password else secrets.token_urlsafe(18)
    try:
        create_user(engine, ADMIN_USERNAME, env_password or generated or "", "admin")
    except UserError:
        with engine.connect() as conn:
            if _enabled_admins(conn):  # another process created it just now
                return None
            u = s.users.c
            if conn.execute(select(u.username).where(u.username == ADMIN_USERNAME)).first():
                raise UserError(f"no enabled admin, and user {ADMIN_USERNAME!r} is taken: "
                                "use `ioc users enable` / `ioc users set-role`") from None
        raise
    return generated


# ------------------------------------------------------------------ sign-in (DB)

def _recent_failures(conn: Any, name: str, since: datetime) -> int:
    a = s.login_attempts.c
    last_ok = conn.execute(select(func.max(a.at)).where(
        a.username == name, a.ok.is_(True), a.at > since)).scalar()
    start = max(since, last_ok) if last_ok else since
    return conn.execute(select(func.count()).select_from(s.login_attempts).where(and_(
        a.username == name, a.ok.is_(False), a.at > start))).scalar_one()


def is_locked(engine: Engine, username: str, now: datetime | None = None,
              policy: LoginPolicy | None = None) -> bool:
    policy = policy or LoginPolicy.from_env()
    since = _utc(now) - timedelta(minutes=policy.lock_minutes)
    with engine.connect() as conn:
        return _recent_failures(conn, normalize_username(username)[:64], since) \
            >= policy.max_failures


def authenticate(engine: Engine, username: str, password: str, source: str = "",
                 now: datetime | None = None, policy: LoginPolicy | None = None) -> Identity:
    """Check a local sign-in; returns the Identity or raises LoginFailed.

    `source` says where the attempt came from (e.g. "ui", "ui:203.0.113.7"); it is stored
    and logged. Throttle per username (existing or not, so a lock reveals nothing): with
    `max_failures` failed attempts within the last `lock_minutes`, every attempt is refused
    unchecked. Refused attempts are failures too, so hammering keeps the lock on.
    """
    policy = policy or LoginPolicy.from_env()
    at = _utc(now)
    name = normalize_username(username)[:64]
    source = (source or "")[:64]
    u = s.users.c
    with engine.connect() as conn:
        locked = _recent_failures(conn, name, at - timedelta(minutes=policy.lock_minutes)) \
            >= policy.max_failures
        row = None if locked else conn.execute(
            select(u.password_hash, u.role, u.disabled).where(u.username == name)).first()
    reason = "locked" if locked else "bad_credentials"
    new_hash = None
    if not locked:
        # Verify even for unknown or disabled users: the time taken must not tell them apart.
        ok = verify_password(row.password_hash if row else dummy_hash(), password)
        if ok and row is not None and row.disabled:
            reason = "disabled"
        elif ok and row is not None:
            reason = ""
            if needs_rehash(row.password_hash):
                new_hash = hash_password(password)
    with engine.begin() as conn:
        conn.execute(insert(s.login_attempts),
                     [{"username": name, "at": at, "ok": not reason, "source": source}])
        if new_hash:
            conn.execute(update(s.users).where(u.username == name)
                         .values(password_hash=new_hash, updated_at=at))
    if reason:
        log.warning("sign-in refused for %r from %s: %s", name, source or "?", reason)
        raise LoginFailed(LOCKED if reason == "locked" else BAD_CREDENTIALS, reason)
    log.info("sign-in ok for %r from %s", name, source or "?")
    return Identity(username=name, role=row.role, source="local")

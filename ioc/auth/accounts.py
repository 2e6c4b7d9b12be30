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

from sqlalchemy import Engine, func, insert, select, update
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
from ioc.auth.scopes import ScopeError, describe, normalize_user_scope
from ioc.db import schema as s

log = logging.getLogger(__name__)

ADMIN_USERNAME = "admin"
_USERNAME_RE = re.compile(r"^[a-z0-9][a-z0-9._@-]{0,63}$")
# Same text for unknown user, wrong password and disabled account: the answer must not tell
# which usernames exist.
BAD_CREDENTIALS = "wrong username or password"
LOCKED = "too many failed sign-ins; try again later"  # a delay, not a lock: see throttle
# password_hash of an account that signs in only through OIDC: not an Argon2 hash, so
# verify_password is always False for it (a local sign-in is refused like a wrong password).
NO_PASSWORD = "!oidc-only"


class LoginFailed(Exception):
    """`str(exc)` is safe to show; `reason` (bad_credentials | disabled | locked) is for
    logs and tests only; `retry_after` (seconds) is set when the throttle refused the attempt
    unchecked (it is the same for unknown usernames, so it may be shown)."""

    def __init__(self, message: str, reason: str, retry_after: float = 0.0) -> None:
        super().__init__(message)
        self.reason = reason
        self.retry_after = retry_after


@dataclass(frozen=True)
class LoginPolicy:
    """Sign-in throttle (see `throttle`): `max_failures` free failures per username (per
    trusted client, or all other clients together), `client_max_failures` per client across
    usernames; after that each further attempt waits `backoff_seconds` after the latest
    failure, doubling per further failure, at most `lock_minutes`. Failures older than
    `forget_hours` are forgotten; a client with a success within `trust_days` is trusted."""
    max_failures: int = 5
    lock_minutes: float = 15
    client_max_failures: int = 20
    backoff_seconds: float = 30
    forget_hours: float = 24
    trust_days: float = 30

    @classmethod
    def from_env(cls) -> LoginPolicy:
        def env(name: str, default: float, kind: type[int] | type[float]) -> Any:
            raw = os.environ.get(name, "").strip()
            return kind(raw) if raw else default

        return cls(max_failures=env("IOC_LOGIN_MAX_FAILURES", cls.max_failures, int),
                   lock_minutes=env("IOC_LOGIN_LOCK_MINUTES", cls.lock_minutes, float),
                   client_max_failures=env("IOC_LOGIN_CLIENT_MAX_FAILURES",
                                           cls.client_max_failures, int),
                   backoff_seconds=env("IOC_LOGIN_BACKOFF_SECONDS", cls.backoff_seconds, float),
                   forget_hours=env("IOC_LOGIN_FORGET_HOURS", cls.forget_hours, float),
                   trust_days=env("IOC_LOGIN_TRUST_DAYS", cls.trust_days, float))


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


def add_oidc_user(engine: Engine, username: str, scope: str | None = None,
                  now: datetime | None = None) -> str | None:
    """Pre-create the account of an OpenID Connect user (the IdP's e-mail or username, as
    the UI names him) so an admin can scope or disable him before his first sign-in. The
    row has no usable password (NO_PASSWORD never verifies: no local sign-in) and the role
    column says viewer; his role still comes from the IdP claim (ioc.ui.session). Returns
    the stored scope."""
    name = _valid_username(username)
    try:
        stored = normalize_user_scope(scope)
    except ScopeError as exc:
        raise UserError(str(exc)) from None
    at = _utc(now)
    row = {"username": name, "password_hash": NO_PASSWORD, "role": "viewer",
           "disabled": False, "scope": stored, "created_at": at, "updated_at": at}
    try:
        with engine.begin() as conn:
            conn.execute(insert(s.users), [row])
    except IntegrityError:
        raise UserError(f"user {name!r} already exists") from None
    log.warning("OIDC account %r pre-created, scope %s", name, describe(stored))
    return stored


def oidc_account(engine: Engine, username: str) -> tuple[bool, str | None] | None:
    """(disabled, scope) of the account row named like an OIDC user, None when there is
    none. Raises SQLAlchemyError when the database cannot be read (the caller fails
    closed)."""
    u = s.users.c
    with engine.connect() as conn:
        row = conn.execute(select(u.disabled, u.scope)
                           .where(u.username == normalize_username(username))).first()
    return None if row is None else (bool(row.disabled), row.scope)


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


def set_scope(engine: Engine, username: str, scope: str | None, by: str = "",
              now: datetime | None = None) -> str | None:
    """Limit an account to a scope (ioc.auth.scopes; None/'' = unrestricted); returns the
    stored form. Logged with who did it, before and after, like the other account changes."""
    try:
        stored = normalize_user_scope(scope)
    except ScopeError as exc:
        raise UserError(str(exc)) from None
    name = normalize_username(username)
    with engine.connect() as conn:
        before = conn.execute(select(s.users.c.scope).where(s.users.c.username == name)
                              ).scalar()
    _change(engine, name, now, scope=stored)
    log.warning("user %r scope set to %s (was %s) by %s", name, describe(stored),
                describe(before), by or "?")
    return stored


def list_users(engine: Engine) -> list[dict[str, Any]]:
    """Accounts without their hashes, by username."""
    u = s.users.c
    cols = (u.username, u.role, u.disabled, u.scope, u.created_at, u.updated_at)
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

# Outcomes stored in login_attempts.outcome. Only checked failures count toward the backoff:
# a refused attempt ("throttled") is recorded but neither counts nor extends the delay, so
# hammering a username cannot keep its owner out for longer than the delay already earned.
OK = "ok"
FAILED = ("bad_credentials", "disabled")
THROTTLED = "throttled"
UNLOCK = "unlock"


@dataclass(frozen=True)
class Throttle:
    """What the throttle says about one attempt: refused until `until` (None = may try)."""
    until: datetime | None
    key: str = ""  # "username" | "client": which limit refused it (logs and tests)

    def retry_after(self, now: datetime) -> float:
        """Seconds to wait from `now` (0 when an attempt would be checked)."""
        return max(0.0, (self.until - now).total_seconds()) if self.until else 0.0


def backoff(failures: int, free: int, policy: LoginPolicy) -> timedelta:
    """Delay after the latest of `failures` checked failures: none below `free`, then
    `backoff_seconds` doubling per further failure, capped at `lock_minutes`."""
    if failures < free:
        return timedelta(0)
    seconds = policy.backoff_seconds * 2.0 ** min(failures - free, 40)
    return timedelta(seconds=min(seconds, policy.lock_minutes * 60))


def _blocked(failures: int, last: datetime | None, free: int,
             policy: LoginPolicy) -> datetime | None:
    if last is None or failures < free:
        return None
    return last + backoff(failures, free, policy)


def _failure_count(conn: Any, *where: Any) -> tuple[int, datetime | None]:
    a = s.login_attempts.c
    row = conn.execute(select(func.count(), func.max(a.at)).select_from(s.login_attempts)
                       .where(a.outcome.in_(FAILED), *where)).one()
    return int(row[0]), row[1]


def throttle(conn: Any, name: str, source: str, now: datetime,
             policy: LoginPolicy) -> Throttle:
    """Whether an attempt for `name` from `source` at `now` is refused unchecked.

    Two limits, both must allow the attempt:

    - per username: checked failures of `name` within `forget_hours`, since the last
      `ioc users unlock` of it. A client from which `name` signed in successfully within
      `trust_days` is *trusted* for it and counts only its own failures since its last
      success there; all other clients share one count. So an attacker hammering from
      anywhere else slows only the untrusted clients (to one checked guess per delay), and
      the owner at their usual client gets in (after their own delay, if they mistyped).
    - per client: checked failures from `source` for any username within `forget_hours`
      (since a `--client` unlock), minus those the same username later followed with a
      success from there (a typo), against `client_max_failures`: spraying many usernames
      from one client is slowed even though each username saw a single failure.
    """
    a = s.login_attempts.c
    src = func.coalesce(a.source, "")

    def since(*events: Any) -> datetime:
        # failures count from the latest of: the forget horizon, the events' latest row
        latest = conn.execute(select(func.max(a.at)).where(*events)).scalar()
        return max(forget, latest) if latest else forget

    forget = now - timedelta(hours=policy.forget_hours)
    unlocked = (a.username == name, a.outcome == UNLOCK)
    trusted = set(conn.execute(select(a.source).distinct().where(
        a.username == name, a.outcome == OK,
        a.at > now - timedelta(days=policy.trust_days))).scalars())
    if source in trusted:
        start = max(since(*unlocked), since(a.username == name, src == source, a.outcome == OK))
        count, last = _failure_count(conn, a.username == name, src == source, a.at > start)
    else:
        # The owner's success elsewhere does not reset the other clients' count: an attacker
        # gets no fresh free guesses each time the owner signs in.
        count, last = _failure_count(conn, a.username == name, a.at > since(*unlocked),
                                     src.not_in(sorted(trusted)))
    until_name = _blocked(count, last, policy.max_failures, policy)

    later = s.login_attempts.alias("later")
    forgiven = select(later.c.id).where(
        later.c.username == a.username, later.c.source == a.source,
        later.c.outcome == OK, later.c.at > a.at).exists()
    cleared = conn.execute(select(func.max(a.at)).where(
        a.username == "", src == source, a.outcome == UNLOCK)).scalar()
    client_since = max(forget, cleared) if cleared else forget
    count, last = _failure_count(conn, src == source, a.at > client_since, ~forgiven)
    until_client = _blocked(count, last, policy.client_max_failures, policy)

    blocks = [(u, k) for u, k in ((until_name, "username"), (until_client, "client"))
              if u is not None and u > now]
    if not blocks:
        return Throttle(None)
    until, key = max(blocks)
    return Throttle(until, key)


def retry_after(engine: Engine, username: str, source: str = "", now: datetime | None = None,
                policy: LoginPolicy | None = None) -> float:
    """Seconds before an attempt for `username` from `source` would be checked (0 = now)."""
    policy = policy or LoginPolicy.from_env()
    at = _utc(now)
    with engine.connect() as conn:
        return throttle(conn, normalize_username(username)[:64], (source or "")[:64], at,
                        policy).retry_after(at)


def is_locked(engine: Engine, username: str, now: datetime | None = None,
              policy: LoginPolicy | None = None, source: str = "") -> bool:
    """True when an attempt for `username` from `source` would be refused unchecked now."""
    return retry_after(engine, username, source, now, policy) > 0


def unlock(engine: Engine, username: str | None = None, client: str | None = None,
           by: str = "cli", now: datetime | None = None) -> None:
    """Clear the throttle of a username (all its clients) and/or of a client (all usernames)
    from now on: an `unlock` row in login_attempts (the earlier rows stay, for the audit)."""
    if not username and not client:
        raise UserError("unlock: name a username or a client")
    at = _utc(now)
    rows = []
    if username:
        rows.append({"username": normalize_username(username)[:64], "at": at, "ok": False,
                     "source": by[:64], "outcome": UNLOCK})
    if client:
        # username "" (never a valid username) marks a client unlock
        rows.append({"username": "", "at": at, "ok": False, "source": client[:64],
                     "outcome": UNLOCK})
    with engine.begin() as conn:
        conn.execute(insert(s.login_attempts), rows)
    for row in rows:
        log.warning("sign-in throttle cleared for %s %r by %s",
                    "user" if row["username"] else "client",
                    row["username"] or row["source"], by)


def authenticate(engine: Engine, username: str, password: str, source: str = "",
                 now: datetime | None = None, policy: LoginPolicy | None = None) -> Identity:
    """Check a local sign-in; returns the Identity or raises LoginFailed.

    `source` says where the attempt came from (e.g. "ui", "ui:203.0.113.7"); it is stored
    and logged, and it is the client of the per-client limit. An attempt the throttle refuses
    (see `throttle`) is recorded and answered without checking the password; the limits are
    the same for unknown usernames, so a delay reveals nothing about which accounts exist.
    """
    policy = policy or LoginPolicy.from_env()
    at = _utc(now)
    name = normalize_username(username)[:64]
    source = (source or "")[:64]
    u = s.users.c
    with engine.connect() as conn:
        gate = throttle(conn, name, source, at, policy)
        row = None if gate.until else conn.execute(
            select(u.password_hash, u.role, u.disabled, u.scope)
            .where(u.username == name)).first()
    outcome = THROTTLED if gate.until else "bad_credentials"
    new_hash = None
    if not gate.until:
        # Verify even for unknown or disabled users: the time taken must not tell them apart.
        ok = verify_password(row.password_hash if row else dummy_hash(), password)
        if ok and row is not None and row.disabled:
            outcome = "disabled"
        elif ok and row is not None:
            outcome = OK
            if needs_rehash(row.password_hash):
                new_hash = hash_password(password)
    with engine.begin() as conn:
        conn.execute(insert(s.login_attempts), [{"username": name, "at": at,
                                                 "ok": outcome == OK, "source": source,
                                                 "outcome": outcome}])
        if new_hash:
            conn.execute(update(s.users).where(u.username == name)
                         .values(password_hash=new_hash, updated_at=at))
    if outcome == THROTTLED:
        wait = gate.retry_after(at)
        log.warning("sign-in refused for %r from %s: throttled per %s for %.0f s more",
                    name, source or "?", gate.key, wait)
        raise LoginFailed(LOCKED, "locked", retry_after=wait)
    if outcome != OK:
        log.warning("sign-in refused for %r from %s: %s", name, source or "?", outcome)
        raise LoginFailed(BAD_CREDENTIALS, outcome)
    log.info("sign-in ok for %r from %s", name, source or "?")
    assert row is not None
    return Identity(username=name, role=row.role, source="local", scope=row.scope)

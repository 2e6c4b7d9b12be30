"""Local accounts: Argon2id hashes, sign-in throttling, disabled and unknown users, the
permission matrix, the first-run admin and the `ioc users` commands. No password may reach
a log line or the console (except the generated admin password, once)."""

from __future__ import annotations

import argparse
import io
import logging
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from argon2 import PasswordHasher, Type
from sqlalchemy import Engine, insert, select

from ioc import auth
from ioc.auth import (
    BAD_CREDENTIALS,
    Identity,
    LoginFailed,
    LoginPolicy,
    PermissionDenied,
    UserError,
    authenticate,
    can,
    create_user,
    ensure_admin,
    list_users,
    require,
    set_disabled,
    set_role,
)
from ioc.cli.users import add_parsers
from ioc.db import schema as s
from ioc.settings import load_settings
from tests import REPO_ROOT

ROOT = REPO_ROOT
T0 = datetime(2025, 7, 1, 8, 0)
PW = "Correct-Horse-42"  # distinctive, so a leak is easy to grep
WRONG = "Wrong-Battery-77"
POLICY = LoginPolicy(max_failures=5, lock_minutes=15)


def _attempts(engine: Engine) -> list[tuple[str, bool, str]]:
    a = s.login_attempts.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(a.username, a.ok, a.source)
                                               .order_by(a.id))]


def test_roles_match_the_page_registry() -> None:
    from ioc.ui.nav import ROLES

    assert auth.ROLES == ROLES
    assert set(auth.PERMISSIONS.values()) <= set(ROLES)


def test_hash_is_argon2id_and_verifies() -> None:
    h = auth.hash_password(PW)
    assert h.startswith("$argon2id$") and PW not in h
    assert auth.verify_password(h, PW)
    assert not auth.verify_password(h, WRONG)
    assert not auth.verify_password("not-a-hash", PW)
    assert auth.hash_password(PW) != h  # salted


def test_password_policy() -> None:
    with pytest.raises(UserError, match="at least 10 characters"):
        auth.check_password_policy("short")
    with pytest.raises(UserError, match="not be the username"):
        auth.check_password_policy("alice.nguyen", "Alice.Nguyen")
    auth.check_password_policy(PW, "alice")


def test_create_list_and_sign_in(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    create_user(engine, " Alice ", PW, "operator", now=T0)
    with pytest.raises(UserError, match="already exists"):
        create_user(engine, "alice", PW, "viewer")
    with pytest.raises(UserError, match="at least 10"):
        create_user(engine, "bob", "short", "viewer")
    with pytest.raises(UserError, match="unknown role"):
        create_user(engine, "bob", PW, "root")
    with pytest.raises(UserError, match="username"):
        create_user(engine, "bad name", PW, "viewer")

    rows = list_users(engine)
    assert [(r["username"], r["role"], r["disabled"]) for r in rows] == [
        ("alice", "operator", False)]
    assert not any("hash" in k for k in rows[0])

    ident = authenticate(engine, "ALICE", PW, source="ui", now=T0, policy=POLICY)
    assert ident == Identity("alice", "operator", "local")
    with pytest.raises(LoginFailed) as wrong:
        authenticate(engine, "alice", WRONG, source="ui", now=T0, policy=POLICY)
    with pytest.raises(LoginFailed) as unknown:
        authenticate(engine, "mallory", PW, source="ui", now=T0, policy=POLICY)
    # Same answer for a wrong password and an unknown user: no username enumeration.
    assert str(wrong.value) == str(unknown.value) == BAD_CREDENTIALS
    assert _attempts(engine) == [("alice", True, "ui"), ("alice", False, "ui"),
                                 ("mallory", False, "ui")]
    assert "sign-in refused for 'alice' from ui" in caplog.text
    assert "'mallory'" in caplog.text
    assert PW not in caplog.text and WRONG not in caplog.text


def test_throttle_delays_and_lets_the_owner_in_after(engine: Engine,
                                                     caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    create_user(engine, "alice", PW, "viewer")
    for i in range(5):
        with pytest.raises(LoginFailed) as exc:
            authenticate(engine, "alice", WRONG, "ui", now=T0 + timedelta(minutes=i),
                         policy=POLICY)
        assert exc.value.reason == "bad_credentials"
    # Delayed (30 s after the 5th failure): even the right password is refused unchecked,
    # and the attempt is recorded.
    soon = T0 + timedelta(minutes=4, seconds=10)
    with pytest.raises(LoginFailed) as locked:
        authenticate(engine, "alice", PW, "ui", now=soon, policy=POLICY)
    assert locked.value.reason == "locked" and "try again later" in str(locked.value)
    assert locked.value.retry_after == 20
    assert auth.is_locked(engine, "alice", now=soon, policy=POLICY)
    assert len(_attempts(engine)) == 6
    # Other usernames are not affected.
    create_user(engine, "bob", PW, "viewer")
    assert authenticate(engine, "bob", PW, "ui", now=soon, policy=POLICY).username == "bob"
    # Delay over: the right password works (no lock to wait out), and a success starts the
    # count afresh.
    later = T0 + timedelta(minutes=4, seconds=30)
    assert not auth.is_locked(engine, "alice", now=later, policy=POLICY)
    assert authenticate(engine, "alice", PW, "ui", now=later, policy=POLICY).role == "viewer"
    with pytest.raises(LoginFailed, match=BAD_CREDENTIALS):
        authenticate(engine, "alice", WRONG, "ui", now=later, policy=POLICY)
    assert PW not in caplog.text and WRONG not in caplog.text


def test_unknown_usernames_are_throttled_too(engine: Engine) -> None:
    for i in range(5):
        with pytest.raises(LoginFailed):
            authenticate(engine, "ghost", WRONG, "ui", now=T0 + timedelta(seconds=i),
                         policy=POLICY)
    with pytest.raises(LoginFailed) as exc:
        authenticate(engine, "ghost", WRONG, "ui", now=T0 + timedelta(seconds=10),
                     policy=POLICY)
    assert exc.value.reason == "locked"  # same as a real account: the delay reveals nothing
    assert exc.value.retry_after == 24


def test_policy_from_env(monkeypatch: pytest.MonkeyPatch) -> None:
    assert LoginPolicy.from_env() == LoginPolicy(5, 15, 20, 30, 24, 30)
    monkeypatch.setenv("IOC_LOGIN_MAX_FAILURES", "3")
    monkeypatch.setenv("IOC_LOGIN_LOCK_MINUTES", "2.5")
    monkeypatch.setenv("IOC_LOGIN_CLIENT_MAX_FAILURES", "50")
    monkeypatch.setenv("IOC_LOGIN_BACKOFF_SECONDS", "10")
    monkeypatch.setenv("IOC_LOGIN_FORGET_HOURS", "12")
    monkeypatch.setenv("IOC_LOGIN_TRUST_DAYS", "7")
    assert LoginPolicy.from_env() == LoginPolicy(3, 2.5, 50, 10, 12, 7)


def test_disabled_user_refused_and_last_admin_kept(engine: Engine) -> None:
    create_user(engine, "root", PW, "admin")
    create_user(engine, "carol", PW, "operator")
    set_disabled(engine, "carol", True)
    with pytest.raises(LoginFailed) as exc:
        authenticate(engine, "carol", PW, "ui", now=T0, policy=POLICY)
    assert exc.value.reason == "disabled" and str(exc.value) == BAD_CREDENTIALS
    set_disabled(engine, "carol", False)
    assert authenticate(engine, "carol", PW, "ui", now=T0, policy=POLICY).role == "operator"

    # Nobody could manage accounts from the UI without an enabled admin.
    with pytest.raises(UserError, match="last enabled admin"):
        set_disabled(engine, "root", True)
    with pytest.raises(UserError, match="last enabled admin"):
        set_role(engine, "root", "viewer")
    set_role(engine, "carol", "admin")
    set_role(engine, "root", "viewer")  # carol is an admin now
    assert {r["username"]: r["role"] for r in list_users(engine)} == {
        "carol": "admin", "root": "viewer"}
    with pytest.raises(UserError, match="no user"):
        set_role(engine, "nobody", "viewer")


def test_shipped_hasher_is_argon2id_rfc9106_low_memory() -> None:
    # The tests hash cheaply in-process (tests/conftest.py); the system's own parameters:
    from tests.conftest import SHIPPED_HASHER

    h = SHIPPED_HASHER
    assert (h.type, h.time_cost, h.memory_cost, h.parallelism) == (Type.ID, 3, 65536, 4)
    assert h.hash(PW).startswith("$argon2id$v=19$m=65536,t=3,p=4$")


def test_old_hash_is_upgraded_on_sign_in(engine: Engine) -> None:
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PW)
    with engine.begin() as conn:
        conn.execute(insert(s.users), [{"username": "dave", "password_hash": weak,
                                        "role": "viewer", "disabled": False,
                                        "created_at": T0, "updated_at": T0}])
    assert auth.needs_rehash(weak)
    authenticate(engine, "dave", PW, "ui", now=T0, policy=POLICY)
    with engine.connect() as conn:
        stored = conn.execute(select(s.users.c.password_hash)).scalar_one()
    assert stored != weak and not auth.needs_rehash(stored)
    assert auth.verify_password(stored, PW)


@pytest.mark.parametrize(("role", "allowed"), [
    ("viewer", {"view", "export"}),
    ("operator", {"view", "export", "alert.ack", "alert.silence", "sentiment.relabel",
                  "playlist.edit"}),
    ("admin", set(auth.PERMISSIONS)),
    ("root", set()),  # unknown role (e.g. a stray OIDC claim) may do nothing
    (None, set()),
])
def test_permission_matrix(role: str | None, allowed: set[str]) -> None:
    assert {a for a in auth.PERMISSIONS if can(role, a)} == allowed


def test_require() -> None:
    op = Identity("olga", "operator")
    assert require(op, "alert.ack") is op and op.can("alert.ack")
    with pytest.raises(PermissionDenied, match="'operator' may not do 'rule.edit'"):
        require(op, "rule.edit")
    with pytest.raises(PermissionDenied, match="'viewer' may not do 'rule.edit'"):
        require(Identity("v", "viewer", "oidc"), "rule.edit")
    with pytest.raises(PermissionDenied, match="sign in required"):
        require(None, "view")
    for action in auth.PERMISSIONS:
        require(Identity("a", "admin"), action)
    with pytest.raises(ValueError, match="unknown action"):
        can("admin", "rule.edti")


def test_ensure_admin_generates_once(engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    generated = ensure_admin(engine)
    assert generated and len(generated) >= 20
    assert ensure_admin(engine) is None  # idempotent
    assert [(r["username"], r["role"]) for r in list_users(engine)] == [("admin", "admin")]
    assert authenticate(engine, "admin", generated, "ui", now=T0, policy=POLICY).role == "admin"
    assert generated not in caplog.text


def test_ensure_admin_env_password(engine: Engine) -> None:
    with pytest.raises(UserError, match="at least 10"):
        ensure_admin(engine, env_password="short")
    assert list_users(engine) == []
    assert ensure_admin(engine, env_password=PW) is None
    assert authenticate(engine, "admin", PW, "ui", now=T0, policy=POLICY).role == "admin"
    assert ensure_admin(engine, env_password="Another-Password-1") is None  # admin exists


# ------------------------------------------------------------------ `ioc users` commands

def _run(argv: list[str], stdin: str = "") -> int:
    parser = argparse.ArgumentParser(prog="ioc")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    old = sys.stdin
    sys.stdin = io.StringIO(stdin)
    try:
        return args.func(args, load_settings())
    finally:
        sys.stdin = old


def test_users_commands(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str],
                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    monkeypatch.delenv("IOC_ADMIN_PASSWORD", raising=False)

    assert _run(["users", "bootstrap"]) == 0
    first = capsys.readouterr().out
    generated = first.split("password: ")[1].split()[0]
    assert "ONCE" in first
    assert authenticate(engine, "admin", generated, "cli", now=T0, policy=POLICY)
    assert _run(["users", "bootstrap"]) == 0
    assert generated not in capsys.readouterr().out  # shown once only

    assert _run(["users", "add", "Erin", "--role", "operator", "--password-stdin"],
                stdin=PW + "\n") == 0
    assert _run(["users", "set-role", "erin", "viewer"]) == 0
    assert _run(["users", "disable", "erin"]) == 0
    assert _run(["users", "list", "--json"]) == 0
    out = capsys.readouterr().out
    assert '"username": "erin"' in out and '"disabled": true' in out and "argon2" not in out
    assert _run(["users", "enable", "erin"]) == 0
    assert _run(["users", "passwd", "erin", "--password-stdin"], stdin=WRONG + "\n") == 0
    assert authenticate(engine, "erin", WRONG, "cli", now=T0, policy=POLICY).role == "viewer"
    assert _run(["users", "list"]) == 0

    with pytest.raises(SystemExit, match="at least 10"):
        _run(["users", "add", "frank", "--role", "viewer", "--password-stdin"], stdin="short\n")
    with pytest.raises(SystemExit, match="last enabled admin"):
        _run(["users", "disable", "admin"])
    for argv in (["--password", PW], [f"--password={PW}"]):  # never an argv argument
        with pytest.raises(SystemExit):
            _run(["users", "add", "frank", "--role", "viewer", *argv])
        err = capsys.readouterr().err
        assert "never a command-line argument" in err and PW not in err

    captured = capsys.readouterr()
    for text in (captured.out, captured.err, caplog.text):
        assert PW not in text and WRONG not in text


def test_users_add_as_a_process(engine: Engine, db_url: str, tmp_path: Path) -> None:
    env = {**os.environ, "IOC_DATABASE_URL": db_url, "IOC_VAR_DIR": str(tmp_path),
           "IOC_LOG_LEVEL": "DEBUG"}
    env.pop("IOC_ADMIN_PASSWORD", None)
    out = subprocess.run([sys.executable, "-m", "ioc.cli.users", "users", "add", "gina",
                          "--role", "admin", "--password-stdin"], input=PW + "\n", env=env,
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    assert "gina" in out.stdout
    assert PW not in out.stdout and PW not in out.stderr
    assert authenticate(engine, "gina", PW, "cli", now=T0, policy=POLICY).role == "admin"

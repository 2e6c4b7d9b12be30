"""Sign-in throttle on the real database (both backends), with explicit `now=` times: per
username and per client, exponential backoff with a cap instead of a lock an anonymous
visitor can hold, trusted clients, every attempt recorded, and `ioc users unlock`."""

from __future__ import annotations

import argparse
import logging
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import Engine, select

from ioc.auth import LoginFailed, LoginPolicy, authenticate, create_user, is_locked, unlock
from ioc.auth import retry_after as wait_for
from ioc.auth.accounts import backoff
from ioc.cli.users import add_parsers
from ioc.db import schema as s
from ioc.settings import load_settings

T0 = datetime(2025, 7, 1, 8, 0)
PW = "Correct-Horse-42"
WRONG = "Wrong-Battery-77"
# 5 free failures per username, 20 per client, then 30 s doubling up to 15 min.
POLICY = LoginPolicy(max_failures=5, lock_minutes=15, client_max_failures=20,
                     backoff_seconds=30, forget_hours=24, trust_days=30)
HOME = "ui:198.51.100.10"  # the owner's usual client
EVIL = "ui:203.0.113.66"


def sec(n: float) -> datetime:
    return T0 + timedelta(seconds=n)


def attempt(engine: Engine, name: str, password: str, source: str, at: datetime,
            policy: LoginPolicy = POLICY) -> str:
    """The outcome as a word: ok, or the LoginFailed reason."""
    try:
        authenticate(engine, name, password, source, now=at, policy=policy)
    except LoginFailed as exc:
        return exc.reason
    return "ok"


def outcomes(engine: Engine) -> list[tuple[str, str, str]]:
    a = s.login_attempts.c
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(a.username, a.source, a.outcome)
                                               .order_by(a.id))]


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n, 5, POLICY).total_seconds() for n in range(4, 12)] == [
        0, 30, 60, 120, 240, 480, 900, 900]
    assert backoff(10_000, 5, POLICY) == timedelta(minutes=15)  # no overflow


def test_backoff_per_username_doubles_and_refused_attempts_do_not_extend_it(
        engine: Engine, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    create_user(engine, "alice", PW, "viewer")
    for i in range(5):  # the free failures
        assert attempt(engine, "alice", WRONG, EVIL, sec(i)) == "bad_credentials"
    # 5th failure at t=4: the next attempt waits 30 s; the right password is refused unchecked.
    assert wait_for(engine, "alice", EVIL, now=sec(5), policy=POLICY) == 29
    with pytest.raises(LoginFailed) as exc:
        authenticate(engine, "alice", PW, EVIL, now=sec(5), policy=POLICY)
    assert exc.value.reason == "locked" and exc.value.retry_after == 29
    for t in range(6, 34, 3):  # hammering inside the delay changes nothing
        assert attempt(engine, "alice", WRONG, EVIL, sec(t)) == "locked"
    assert wait_for(engine, "alice", EVIL, now=sec(33), policy=POLICY) == 1
    # Each checked failure after the delay doubles the next one: 60, 120, … capped at 900 s.
    t, waits = 34.0, []
    for _ in range(7):
        assert attempt(engine, "alice", WRONG, EVIL, sec(t)) == "bad_credentials"
        waits.append(wait_for(engine, "alice", EVIL, now=sec(t), policy=POLICY))
        t += waits[-1]
    assert waits == [60, 120, 240, 480, 900, 900, 900]
    # After the delay the right password signs in, and the count starts afresh.
    assert attempt(engine, "alice", PW, EVIL, sec(t)) == "ok"
    assert not is_locked(engine, "alice", now=sec(t), policy=POLICY, source=EVIL)
    rows = outcomes(engine)
    assert len(rows) == 5 + 1 + 10 + 7 + 1  # every attempt recorded, refused ones too
    assert [o for _, _, o in rows].count("throttled") == 11
    assert "throttled per username" in caplog.text
    assert PW not in caplog.text and WRONG not in caplog.text


def test_per_client_limit_across_many_usernames(engine: Engine) -> None:
    # 40 usernames, one guess each, from one client: each username is far below its own limit,
    # but the client gets 20 checked guesses, then waits 30 s, 60 s …
    results = [attempt(engine, f"user{i:02d}", WRONG, EVIL, sec(i)) for i in range(40)]
    assert results[:20] == ["bad_credentials"] * 20
    assert results[20:] == ["locked"] * 20
    # the 20th failure at t=19: the client waits until t=49
    assert wait_for(engine, "user99", EVIL, now=sec(40), policy=POLICY) == 9
    assert attempt(engine, "user40", WRONG, EVIL, sec(49)) == "bad_credentials"
    assert wait_for(engine, "user41", EVIL, now=sec(49), policy=POLICY) == 60
    # Other clients are not slowed by it, for the same usernames.
    assert attempt(engine, "user00", WRONG, "ui:192.0.2.1", sec(50)) == "bad_credentials"
    # A typo followed by the same user's success from the client is forgiven there.
    create_user(engine, "bob", PW, "viewer")
    assert attempt(engine, "bob", WRONG, "ui:192.0.2.9", sec(60)) == "bad_credentials"
    assert attempt(engine, "bob", PW, "ui:192.0.2.9", sec(61)) == "ok"
    spray = [attempt(engine, f"x{i}", WRONG, "ui:192.0.2.9", sec(62 + i)) for i in range(21)]
    assert spray == ["bad_credentials"] * 20 + ["locked"]


def test_per_username_limit_from_many_clients(engine: Engine) -> None:
    create_user(engine, "alice", PW, "admin")
    # A distributed attacker: one guess per client, each client far below its own limit.
    for i in range(5):
        assert attempt(engine, "alice", WRONG, f"ui:203.0.113.{i}", sec(i)) == "bad_credentials"
    assert attempt(engine, "alice", PW, "ui:203.0.113.99", sec(5)) == "locked"
    assert attempt(engine, "ghost", WRONG, "ui:203.0.113.99", sec(5)) == "bad_credentials"


def test_owner_gets_in_while_an_attacker_hammers(engine: Engine) -> None:
    create_user(engine, "admin", PW, "admin")
    assert attempt(engine, "admin", PW, HOME, T0 - timedelta(days=2)) == "ok"  # HOME trusted
    # An anonymous visitor hammers admin from many clients for hours: at most one checked
    # guess per delay (capped at 15 min), and never a lock on the owner's own client.
    checked = 0
    for i in range(6 * 60):  # one attempt a minute, each from a new client
        result = attempt(engine, "admin", WRONG, f"ui:203.0.{i // 250}.{i % 250}", sec(60 * i))
        checked += result == "bad_credentials"
        if i % 60 == 30:  # meanwhile the owner signs in at HOME every hour …
            assert attempt(engine, "admin", PW, HOME, sec(60 * i + 1)) == "ok"
    # … which gives the attacker no fresh free guesses: the free ones, the ramp to the cap,
    # then 4 an hour.
    assert checked <= 5 + 5 + 6 * 4
    assert attempt(engine, "admin", PW, f"ui:203.0.9.{i}", sec(60 * i + 1)) == "locked"
    assert attempt(engine, "admin", PW, HOME, sec(60 * i + 1)) == "ok"
    # The owner's own typos at HOME are slowed like anyone's, and the delay ends.
    for j in range(5):
        assert attempt(engine, "admin", WRONG, HOME, sec(30_000 + j)) == "bad_credentials"
    assert attempt(engine, "admin", PW, HOME, sec(30_005)) == "locked"
    assert attempt(engine, "admin", PW, HOME, sec(30_004 + 30)) == "ok"


def test_new_client_signs_in_after_the_delay(engine: Engine) -> None:
    create_user(engine, "carol", PW, "operator")
    for i in range(7):
        attempt(engine, "carol", WRONG, EVIL, sec(i * 200))
    # 7 failures, the last at t=1200: the untrusted clients wait 120 s after it.
    laptop = "ui:192.0.2.44"
    assert attempt(engine, "carol", PW, laptop, sec(1200 + 119)) == "locked"
    assert attempt(engine, "carol", PW, laptop, sec(1200 + 120)) == "ok"


def test_failures_are_forgotten_after_a_day(engine: Engine) -> None:
    for i in range(8):
        attempt(engine, "dave", WRONG, EVIL, sec(i))
    assert is_locked(engine, "dave", now=sec(10), policy=POLICY, source=EVIL)
    assert not is_locked(engine, "dave", now=sec(8) + timedelta(hours=24), policy=POLICY,
                         source="ui:192.0.2.2")


def _run(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="ioc")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args, load_settings())


def test_unlock_command(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch,
                        capsys: pytest.CaptureFixture[str],
                        caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO)
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    create_user(engine, "erin", PW, "viewer")
    now = datetime.now(UTC).replace(tzinfo=None)
    # The command stamps its row with the real clock: failures just before it.
    base = now - timedelta(minutes=2)
    slow = LoginPolicy(max_failures=5, client_max_failures=20, backoff_seconds=3600,
                       lock_minutes=120)  # delays that outlast the test
    for i in range(6):
        attempt(engine, "erin", WRONG, f"ui:203.0.114.{i}", base + timedelta(seconds=i), slow)
    for i in range(21):
        attempt(engine, f"v{i}", WRONG, EVIL, base + timedelta(seconds=i), slow)
    assert attempt(engine, "erin", PW, "ui:192.0.2.5", base + timedelta(seconds=30),
                   slow) == "locked"
    assert attempt(engine, "w0", WRONG, EVIL, base + timedelta(seconds=30), slow) == "locked"

    assert _run(["users", "unlock", "Erin"]) == 0
    assert "cleared for user 'erin'" in capsys.readouterr().out
    after = datetime.now(UTC).replace(tzinfo=None) + timedelta(seconds=1)
    assert attempt(engine, "erin", PW, "ui:192.0.2.5", after, slow) == "ok"
    assert attempt(engine, "w1", WRONG, EVIL, after, slow) == "locked"  # the client still waits
    assert _run(["users", "unlock", "--client", EVIL]) == 0
    assert f"cleared for client {EVIL!r}" in capsys.readouterr().out
    assert attempt(engine, "w2", WRONG, EVIL, after + timedelta(seconds=1),
                   slow) == "bad_credentials"
    with pytest.raises(SystemExit, match="name a username"):
        _run(["users", "unlock"])

    unlocks = [r for r in outcomes(engine) if r[2] == "unlock"]
    assert [(u, src.split(":")[0]) for u, src, _ in unlocks] == [("erin", "cli"), ("", "ui")]
    assert unlocks[1][1] == EVIL
    assert "sign-in throttle cleared for user 'erin' by cli" in caplog.text
    assert f"sign-in throttle cleared for client {EVIL!r}" in caplog.text


def test_unlock_function_needs_a_target(engine: Engine) -> None:
    from ioc.auth import UserError

    with pytest.raises(UserError):
        unlock(engine)
    unlock(engine, "nobody", now=T0)  # an unknown username may be cleared too (reveals nothing)
    assert outcomes(engine) == [("nobody", "cli", "unlock")]

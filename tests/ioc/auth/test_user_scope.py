"""Scoped accounts in the database and from the shell: `ioc users set-scope`, the scope
carried by the sign-in's Identity, the change logged with who made it."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine

from ioc.auth import LoginPolicy, UserError, authenticate, create_user, list_users, set_scope
from ioc.cli.users import main
from tests.ioc.auth.test_auth import PW, T0

POLICY = LoginPolicy()


def _run(argv: list[str]) -> int:
    return main(argv)


def _scope_of(engine: Engine, name: str) -> str | None:
    return {r["username"]: r["scope"] for r in list_users(engine)}[name]


def test_set_scope_cli(engine: Engine, db_url: str, monkeypatch: pytest.MonkeyPatch,
                       capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("IOC_DATABASE_URL", db_url)
    create_user(engine, "chutich", PW, "viewer")

    assert _run(["users", "set-scope", "ChuTich", "--scope",
                 "commune:08497, commune:08494"]) == 0
    said = capsys.readouterr()  # main() logs to stderr (ioc.logging_setup)
    assert "commune:08497,commune:08494" in said.out
    assert "scope set to commune:08497, commune:08494 (was toàn bộ · all) by cli" in said.err
    assert _scope_of(engine, "chutich") == "commune:08497,commune:08494"
    ident = authenticate(engine, "chutich", PW, "cli", now=T0, policy=POLICY)
    assert ident.scope == "commune:08497,commune:08494"

    assert _run(["users", "set-scope", "chutich", "--scope", "agency:SYT-25"]) == 0
    assert _scope_of(engine, "chutich") == "agency:SYT-25"
    assert _run(["users", "list"]) == 0
    assert "agency:SYT-25" in capsys.readouterr().out

    assert _run(["users", "set-scope", "chutich", "--clear"]) == 0
    assert _scope_of(engine, "chutich") is None
    assert authenticate(engine, "chutich", PW, "cli", now=T0, policy=POLICY).scope is None

    with pytest.raises(SystemExit, match="not allowed"):
        _run(["users", "set-scope", "chutich", "--scope", "procedure:1.001"])
    with pytest.raises(SystemExit, match="--scope KIND:CODE"):
        _run(["users", "set-scope", "chutich"])
    with pytest.raises(SystemExit, match="no user"):
        _run(["users", "set-scope", "nobody", "--scope", "commune:08494"])
    assert _scope_of(engine, "chutich") is None  # refused changes left it alone


def test_set_scope_refuses_a_malformed_scope(engine: Engine) -> None:
    create_user(engine, "leader", PW, "viewer")
    with pytest.raises(UserError):
        set_scope(engine, "leader", "commune:")
    assert set_scope(engine, "leader", "province:25", by="test") == "province:25"

"""`ioc users …`: local accounts from the shell.

Whoever can run this against the database is trusted as an admin (the same person could edit
the database directly); the UI checks `user.manage` instead. Passwords come from a prompt
or stdin, never argv (argv is visible in `ps` and shell history), and are never printed,
except the generated first-run admin password, shown once by `bootstrap`.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable
from typing import TextIO

from sqlalchemy import Engine

from ioc.cli import wiring
from ioc.settings import Settings

ADMIN_PASSWORD_ENV = "IOC_ADMIN_PASSWORD"


def _read_password(args: argparse.Namespace, stdin: TextIO | None = None) -> str:
    if args.password_stdin:
        line = (stdin or sys.stdin).readline()
        password = line.rstrip("\r\n")
        if not password:
            sys.exit("no password on stdin")
        return password
    first = getpass.getpass("Mật khẩu / password: ")
    if getpass.getpass("Nhập lại / repeat: ") != first:
        sys.exit("passwords do not match")
    return first


def _actor() -> str:
    """Who ran the command, for the audit row and log line of an unlock."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):  # no login name (e.g. a container without /etc/passwd entry)
        return "cli"


def announce_admin(engine: Engine, out: Callable[[str], None] = print) -> str | None:
    """First run: create the admin if none exists and show a generated password once.

    `ioc up` (or the UI's first start) can call this too. Returns the generated password.
    """
    from ioc.auth import ensure_admin

    generated = ensure_admin(engine, os.environ.get(ADMIN_PASSWORD_ENV) or None)
    if generated:
        # print, not logging: it must reach the console once and never a log file.
        out("Tài khoản quản trị 'admin' đã được tạo · admin account created.\n"
            f"  password: {generated}\n"
            "  Mật khẩu chỉ hiện MỘT lần - hãy đổi ngay · shown ONCE: change it now with "
            "`ioc users passwd admin`.")
    return generated


def cmd_users(args: argparse.Namespace, settings: Settings) -> int:
    from ioc import auth

    engine = wiring.engine(settings)
    try:
        if args.users_action == "list":
            rows = auth.list_users(engine)
            if args.json:
                print(json.dumps(rows, ensure_ascii=False, indent=1, default=str))
            else:
                for r in rows:
                    state = "disabled" if r["disabled"] else "enabled"
                    print(f"{r['username']:<32} {r['role']:<9} {state:<9} {r['updated_at']}"
                          f"  {r['scope'] or '-'}")
        elif args.users_action == "add":
            auth.create_user(engine, args.name, _read_password(args), args.role)
            print(f"user {auth.normalize_username(args.name)!r} added ({args.role})")
        elif args.users_action == "passwd":
            auth.set_password(engine, args.name, _read_password(args))
            print(f"password of {auth.normalize_username(args.name)!r} changed")
        elif args.users_action in ("disable", "enable"):
            auth.set_disabled(engine, args.name, args.users_action == "disable")
            print(f"user {auth.normalize_username(args.name)!r} {args.users_action}d")
        elif args.users_action == "set-role":
            auth.set_role(engine, args.name, args.role)
            print(f"user {auth.normalize_username(args.name)!r} is now {args.role}")
        elif args.users_action == "set-scope":
            if bool(args.scope) == bool(args.clear):
                sys.exit("users set-scope: give --scope KIND:CODE[,…] or --clear")
            stored = auth.set_scope(engine, args.name, None if args.clear else args.scope,
                                    by=_actor())
            print(f"user {auth.normalize_username(args.name)!r} scope: {stored or 'all'}")
        elif args.users_action == "add-oidc":
            stored = auth.add_oidc_user(engine, args.name, args.scope)
            print(f"OIDC user {auth.normalize_username(args.name)!r} added (no local "
                  f"password; role from the IdP), scope: {stored or 'all'}")
        elif args.users_action == "unlock":
            if not args.name and not args.client:
                sys.exit("users unlock: name a username and/or --client SOURCE")
            auth.unlock(engine, args.name, args.client, by=_actor())
            cleared = [f"user {auth.normalize_username(args.name)!r}"] if args.name else []
            cleared += [f"client {args.client!r}"] if args.client else []
            print(f"sign-in throttle cleared for {' and '.join(cleared)}")
        elif args.users_action == "bootstrap" and announce_admin(engine) is None:
            print("an enabled admin exists (or the password came from "
                  f"{ADMIN_PASSWORD_ENV}); nothing shown")
    except auth.UserError as exc:
        sys.exit(f"users: {exc}")
    finally:
        engine.dispose()
    return 0


class _RefusePassword(argparse.Action):
    """`--password X` is refused without echoing X (argparse would print an unknown
    argument back, password included)."""

    def __call__(self, parser: argparse.ArgumentParser, namespace: argparse.Namespace,
                 values: object, option_string: str | None = None) -> None:
        parser.error("a password is never a command-line argument (ps, shell history): "
                     "use the prompt or --password-stdin")


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `users` (list | add | add-oidc | passwd | disable | enable | set-role |
    set-scope | unlock | bootstrap)."""
    from ioc.auth import ROLES

    users = sub.add_parser("users", help="local accounts and roles")
    act = users.add_subparsers(dest="users_action", required=True)
    ls = act.add_parser("list", help="accounts (never password hashes)")
    ls.add_argument("--json", action="store_true")
    add = act.add_parser("add", help="create an account (password prompted or --password-stdin)")
    add.add_argument("name")
    add.add_argument("--role", required=True, choices=ROLES)
    pw = act.add_parser("passwd", help="set a new password")
    pw.add_argument("name")
    for p in (add, pw):
        p.add_argument("--password-stdin", action="store_true",
                       help="read the password from the first line of stdin (no prompt)")
        p.add_argument("--password", action=_RefusePassword, help=argparse.SUPPRESS)
    for action in ("disable", "enable"):
        act.add_parser(action, help=f"{action} an account").add_argument("name")
    sr = act.add_parser("set-role", help="change an account's role")
    sr.add_argument("name")
    sr.add_argument("role", choices=ROLES)
    sc = act.add_parser("set-scope", help="limit an account to a province, communes or an "
                                          "agency (enforced in every query of the UI)")
    sc.add_argument("name")
    sc.add_argument("--scope", metavar="KIND:CODE[,…]",
                    help="province:25 | commune:08494[,commune:08497…] | agency:SYT-25")
    sc.add_argument("--clear", action="store_true", help="no limit (the whole province)")
    ao = act.add_parser("add-oidc", help="pre-create an OpenID Connect user (IOC_AUTH=oidc) by "
                                         "the name the UI shows (e-mail), to scope or "
                                         "disable him before his first sign-in; no local "
                                         "password, role from the IdP claim")
    ao.add_argument("name")
    ao.add_argument("--scope", metavar="KIND:CODE[,…]",
                    help="as set-scope; without it unrestricted (set-scope later)")
    un = act.add_parser("unlock", help="clear the sign-in throttle of a username and/or a "
                                       "client (recorded in login_attempts, logged)")
    un.add_argument("name", nargs="?", help="username (all its clients)")
    un.add_argument("--client", metavar="SOURCE",
                    help='client as recorded in login_attempts.source, e.g. "ui:203.0.113.7"')
    act.add_parser("bootstrap", help="create the first admin if none exists "
                                     f"(password from {ADMIN_PASSWORD_ENV} or shown once)")
    users.set_defaults(func=cmd_users)


def main(argv: list[str] | None = None) -> int:
    """`python -m ioc.cli.users …`: the same commands without the rest of the CLI."""
    from ioc.logging_setup import setup_logging
    from ioc.settings import load_settings

    parser = argparse.ArgumentParser(prog="ioc")
    add_parsers(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    settings = load_settings()
    setup_logging(settings.log_level, "users")
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())


__all__ = ["add_parsers", "announce_admin", "cmd_users", "main"]

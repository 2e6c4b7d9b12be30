"""`ioc playlists list|add|show|export|import|token|remove`: wall-screen playlists.

`add NAME --item dossiers:45:30d:commune:08494 --item alerts:20` (PAGE[:DWELL[:WINDOW[:SCOPE]]])
creates or replaces a playlist; a new playlist prints its wall URL with the kiosk token, shown
this once (`token NAME` renews it). export/import move playlists as YAML or JSON (never the
tokens); import validates every playlist before writing any, in one transaction.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path

from ioc.auth import Identity
from ioc.cli import wiring
from ioc.settings import Settings


def actor() -> Identity:
    """Whoever runs the CLI holds the database credentials: an admin, audited as cli:LOGIN."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):
        user = "unknown"
    return Identity(f"cli:{user}"[:100], "admin")


def page_names() -> list[str]:
    """Pages a playlist may show: the UI's registry without the sign-in page."""
    from ioc.ui.nav import LOGIN, PAGES

    return [p.url_path for p in PAGES if p.url_path not in (LOGIN.url_path, "wall")]


def wall_url(settings: Settings, name: str, token: str) -> str:
    return f"http://localhost:{settings.ui_port}/wall?playlist={name}&key={token}"


def cmd_playlists(args: argparse.Namespace, settings: Settings) -> int:
    from ioc.wall import store
    from ioc.wall.playlists import PlaylistError, dumps, loads, parse_item_spec, parse_playlist

    engine = wiring.engine(settings)
    if args.action == "list":
        rows = store.list_playlists(engine)
        if args.json:
            print(json.dumps([{**r.playlist.to_dict(), "version": r.version,
                               "updated_by": r.updated_by,
                               "updated_at": r.updated_at.isoformat()} for r in rows],
                             ensure_ascii=False, indent=1))
            return 0
        for r in rows:
            p = r.playlist
            pages = " → ".join(f"{i.page}({i.dwell}s)" for i in p.items)
            print(f"{p.name:<16} v{r.version:<3} {sum(i.dwell for i in p.items):>5}s  {pages}")
        return 0
    if args.action == "export":
        names = set(args.names)
        chosen = [r.playlist for r in store.list_playlists(engine)
                  if not names or r.playlist.name in names]
        text = dumps(chosen, "json" if args.json else "yaml")
        if args.file:
            Path(args.file).write_text(text, encoding="utf-8")
        else:
            sys.stdout.write(text)
        return 0
    if args.action == "import":
        text = Path(args.file).read_text(encoding="utf-8") if args.file else sys.stdin.read()
        try:
            playlists = loads(text, page_names())
        except PlaylistError as exc:
            sys.exit("playlists import: " + "\n  ".join(["refused, nothing written:",
                                                          *exc.errors]))
        for name, (result, token) in store.import_all(engine, playlists, actor()).items():
            print(f"{name}: {result}" + (f"  {wall_url(settings, name, token)}" if token else ""))
        return 0
    if not args.names:
        sys.exit(f"usage: ioc playlists {args.action} NAME")
    name = args.names[0]
    if args.action == "add":
        data = {"name": name, "title": args.title or "",
                "interrupt_on_critical": not args.no_interrupt,
                "items": [parse_item_spec(s) for s in args.item]}
        try:
            playlist = parse_playlist(data, page_names())
        except PlaylistError as exc:
            sys.exit("playlists add: " + "; ".join(exc.errors))
        result, token = store.save(engine, playlist, actor())
        print(f"{name}: {result}")
        if token:
            print(f"wall URL (token shown once) · URL màn hình tường: "
                  f"{wall_url(settings, name, token)}")
        return 0
    if args.action == "token":
        try:
            token = store.renew_token(engine, name, actor())
        except KeyError:
            sys.exit(f"playlists token: no playlist {name!r}")
        print(wall_url(settings, name, token))
        return 0
    if args.action == "remove":
        if not store.remove(engine, name, actor()):
            sys.exit(f"playlists remove: no playlist {name!r}")
        print(f"{name}: removed")
        return 0
    stored = store.get(engine, name)  # show
    if stored is None:
        sys.exit(f"playlists show: no playlist {name!r}")
    sys.stdout.write(dumps([stored.playlist], "json" if args.json else "yaml"))
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `playlists`."""
    p = sub.add_parser("playlists", help="wall-screen playlists (list | add | show | export | "
                                         "import | token | remove)")
    p.add_argument("action", choices=("list", "add", "show", "export", "import", "token",
                                      "remove"))
    p.add_argument("names", nargs="*", help="playlist name (export: any number, default all)")
    p.add_argument("--item", action="append", default=[],
                   help="add: PAGE[:DWELL[:WINDOW[:SCOPE]]], e.g. dossiers:45:30d:commune:08494 "
                        "(repeat, in order)")
    p.add_argument("--title", help="add: the title shown on the wall")
    p.add_argument("--no-interrupt", action="store_true",
                   help="add: a critical alert does not interrupt the rotation")
    p.add_argument("--file", help="export: write here; import: read from here (default stdin)")
    p.add_argument("--json", action="store_true", help="JSON instead of YAML / text")
    p.set_defaults(func=cmd_playlists)

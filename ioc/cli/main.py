"""The `ioc` command's parser and entry point; the commands live in one module per group
(system, sources, kpis, rules, users). Kafka-facing code is imported inside the commands that
need it, so the domain package stays importable without a broker."""

from __future__ import annotations

import argparse
import sys

from ioc.cli import chaos, kpis, playlists, rules, sentiment, sla, sources, system, users
from ioc.logging_setup import setup_logging
from ioc.settings import load_settings


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ioc", description="IOC streaming dashboard")
    sub = p.add_subparsers(dest="command", required=True)
    # Called in this order so `ioc --help` lists the commands as it always has.
    system.add_run_parsers(sub)  # up, migrate, aggregate
    sources.add_stream_parsers(sub)  # connect, ingest
    kpis.add_parsers(sub)  # kpi, targets
    system.add_watch_parsers(sub)  # status, bench, ui
    sources.add_import_parsers(sub)  # import, poll-http
    rules.add_parsers(sub)  # rules …
    users.add_parsers(sub)  # users …
    chaos.add_parsers(sub)  # chaos
    sentiment.add_parsers(sub)  # sentiment corpus | train | evaluate | label
    sla.add_parsers(sub)  # sla list | set
    playlists.add_parsers(sub)  # playlists list | add | export | import …
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    setup_logging(settings.log_level, args.command)
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())

"""`ioc connect | ingest | import | poll-http`: sources into the stream topics.

Each runs a source through the ConnectorRuntime (validate → redact → produce acks=all →
checkpoint) by way of `wiring.run_connector`; they differ in the source and in how long it
runs. The batch commands print a JSON summary.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ioc.cli import wiring
from ioc.settings import Settings

if TYPE_CHECKING:
    from connectors.runtime import ConnectorRuntime, ConnectorStats

# Same file as connectors.files.mapping.DEFAULT_MAPPING_PATH, without importing the mapping module
# (catalogue, calendar, YAML) every time the CLI builds its parser.
DEFAULT_MAPPING = (Path(__file__).resolve().parents[2] / "connectors" / "files" / "mappings"
                   / "one_stop_vi.yaml")


def _summary(stats: Any, **extra: Any) -> str:
    return json.dumps({"produced": stats.produced, "dead_lettered": stats.dead,
                       "errors": stats.errors, **extra}, ensure_ascii=False)


def cmd_connect(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.registry import CONFIGURED, CONNECTORS

    if args.name in CONFIGURED:
        return _connect_configured(args, settings)
    if args.config:
        sys.exit(f"connect: {args.name} takes no --config (only {', '.join(CONFIGURED)})")
    if args.name not in CONNECTORS:
        sys.exit(f"unknown connector {args.name!r}; known: {', '.join(sorted(CONNECTORS))}")
    wiring.run_connector(settings, CONNECTORS[args.name](settings), args.name,
                         lambda runtime: runtime.run(wiring.stop_on_signals()))
    return 0


def _connect_configured(args: argparse.Namespace, settings: Settings) -> int:
    """A connector built from a settings file (open311, feeds): runs until stopped, or with
    --once until the source has nothing new."""
    from connectors.registry import CONFIGURED

    if not args.config:
        sys.exit(f"connect {args.name}: --config FILE.yaml is required")
    try:
        source = CONFIGURED[args.name](Path(args.config))
    except (OSError, ValueError) as exc:  # unreadable file, bad settings
        sys.exit(f"connect {args.name}: config error: {exc}")
    except Exception as exc:  # noqa: BLE001 - the source's own errors (env var unset …)
        sys.exit(f"connect {args.name}: {exc}")
    interval = float(getattr(getattr(source, "config", None), "interval_s", 1.0))

    def drive(runtime: ConnectorRuntime) -> ConnectorStats:
        stop = wiring.stop_on_signals()
        try:
            if args.once:
                while not stop.is_set() and runtime.run_once() is not None:
                    pass
            else:
                runtime.run(stop, idle_wait=interval)
        except Exception as exc:  # noqa: BLE001 - a refusing server ends the command loudly
            print(_summary(runtime.stats), flush=True)
            sys.exit(f"connect {args.name}: {type(exc).__name__}: {exc}")
        return runtime.stats

    stats = wiring.run_connector(settings, source, f"ioc-{args.name}", drive)
    print(_summary(stats, **getattr(source, "stats", {})))  # the source's own counts
    return 0 if stats.errors == 0 else 1


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.files.jsonl import JsonlFileSource
    from connectors.runtime import run_until_idle
    from ioc.events.contracts import contract_for_topic

    try:
        contract = contract_for_topic(args.topic)
    except ValueError as exc:
        sys.exit(str(exc))
    if not Path(args.file).is_file():
        sys.exit(f"no such file: {args.file}")
    from kafka.errors import KafkaError
    from sqlalchemy.exc import SQLAlchemyError

    # ingest has never created the topics (the others do): kept so.
    try:
        stats = wiring.run_connector(settings, JsonlFileSource(Path(args.file), contract),
                                     "ioc-ingest", run_until_idle, create_topics=False)
    except (KafkaError, SQLAlchemyError, OSError) as exc:
        # Only the broker or the database can fail the command; a record never does. The
        # exception's type only: its text may hold a connection string or record content.
        print(json.dumps({"error": f"broker or database unreachable: {type(exc).__name__}"}))
        return 2
    print(json.dumps({"produced": stats.produced, "dead_lettered": stats.dead,
                      "redacted": stats.redacted, "errors": stats.errors}))
    # Transient broker errors that a retry overcame do not fail the command; not reaching the
    # end of the file (the broker stayed away until the timeout) does.
    return 0 if stats.errors == 0 or stats.drained else 1


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.base import Source
    from connectors.files.jsonl import JsonlFileSource
    from connectors.files.mapping import ColumnMapping, MappingError
    from connectors.files.one_stop import OneStopFileSource
    from connectors.runtime import run_until_idle

    path = Path(args.file)
    if not path.is_file():
        sys.exit(f"no such file: {path}")
    try:
        mapping = ColumnMapping.load(args.mapping)
    except (OSError, MappingError) as exc:
        sys.exit(f"import: mapping {args.mapping}: {exc}")
    try:
        source: Source = (JsonlFileSource(path, mapping.contract, mapping=mapping)
                          if path.suffix.lower() in (".jsonl", ".ndjson")
                          else OneStopFileSource(path, mapping))
    except (OSError, ValueError) as exc:  # MappingError (header check) is a ValueError
        sys.exit(f"import: {exc}")
    stats = wiring.run_connector(settings, source, "ioc-import", run_until_idle)
    print(_summary(stats))
    return 0 if stats.errors == 0 else 1


def cmd_poll_http(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.http.poller import HttpJsonSource, HttpPollConfig, HttpSourceError

    try:
        config = HttpPollConfig.load(args.config)
        source = HttpJsonSource(config, config.load_mapping())
    except (OSError, ValueError, HttpSourceError) as exc:
        sys.exit(f"poll-http: config error: {exc}")

    def poll(runtime: ConnectorRuntime) -> ConnectorStats:
        try:
            if args.once:
                # Own loop rather than runtime.run: a failing server must end --once with an
                # error, not be retried until a timeout.
                stop = wiring.stop_on_signals()
                while not stop.is_set() and runtime.run_once() is not None:
                    pass
            else:
                runtime.run(wiring.stop_on_signals(), idle_wait=config.interval_s)
        except HttpSourceError as exc:
            print(_summary(runtime.stats), flush=True)
            sys.exit(f"poll-http: {exc}")
        return runtime.stats

    stats = wiring.run_connector(settings, source, "ioc-poll-http", poll)
    print(_summary(stats))
    return 0 if stats.errors == 0 else 1


def add_stream_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `connect` and `ingest`."""
    con = sub.add_parser("connect", help="run one named connector")
    con.add_argument("name", help="sim-dossier | sim-feedback | sim-social | open311 | feeds")
    con.add_argument("--config",
                     help="settings YAML of a configured connector (open311, feeds)")
    con.add_argument("--once", action="store_true",
                     help="configured connectors: stop when the source has nothing new")
    con.set_defaults(func=cmd_connect)
    ing = sub.add_parser("ingest", help="push a JSONL file of events through validation")
    ing.add_argument("--topic", required=True)
    ing.add_argument("file")
    ing.set_defaults(func=cmd_ingest)


def add_import_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `import` and `poll-http`."""
    imp = sub.add_parser("import", help="import an export (CSV, XLSX or JSONL) through a column "
                         "mapping: dossiers, feedback or social posts (the mapping's contract)")
    imp.add_argument("file", help="CSV (UTF-8, ',' or ';'), XLSX or JSONL export")
    imp.add_argument("--mapping", default=str(DEFAULT_MAPPING),
                     help="column mapping YAML (default: the bundled one_stop_vi.yaml)")
    imp.set_defaults(func=cmd_import)
    poll = sub.add_parser("poll-http", help="poll an HTTP JSON API for new or updated records")
    poll.add_argument("--config", required=True, help="HTTP poll settings YAML")
    poll.add_argument("--once", action="store_true",
                      help="stop when the server has nothing new (default: keep polling)")
    poll.set_defaults(func=cmd_poll_http)


__all__ = ["DEFAULT_MAPPING", "add_import_parsers", "add_stream_parsers", "cmd_connect",
           "cmd_import", "cmd_ingest", "cmd_poll_http"]

"""`ioc import` (one-stop-shop CSV/XLSX export) and `ioc poll-http` (HTTP JSON API).

Both run a source through the ConnectorRuntime (validate → redact → produce acks=all →
checkpoint) and print a JSON summary. Helpers of `ioc.cli.main` are imported inside the commands:
`ioc.cli.main` imports this module to register the parsers.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from ioc.settings import Settings

# Same file as connectors.files.mapping.DEFAULT_MAPPING_PATH, without importing the mapping module
# (catalogue, calendar, YAML) every time the CLI builds its parser.
DEFAULT_MAPPING = (Path(__file__).resolve().parents[2] / "connectors" / "files" / "mappings"
                   / "one_stop_vi.yaml")


def _summary(stats: Any, **extra: Any) -> str:
    return json.dumps({"produced": stats.produced, "dead_lettered": stats.dead,
                       "errors": stats.errors, **extra}, ensure_ascii=False)


def cmd_import(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.files.mapping import ColumnMapping, MappingError
    from connectors.files.one_stop import OneStopFileSource
    from connectors.runtime import ConnectorRuntime, run_until_idle
    from ioc.cli.main import _bootstrap, _engine
    from streams.clients import make_producer
    from streams.topics import ensure_topics

    path = Path(args.file)
    if not path.is_file():
        sys.exit(f"no such file: {path}")
    try:
        mapping = ColumnMapping.load(args.mapping)
    except (OSError, MappingError) as exc:
        sys.exit(f"import: mapping {args.mapping}: {exc}")
    try:
        source = OneStopFileSource(path, mapping)
    except (OSError, ValueError) as exc:  # MappingError (header check) is a ValueError
        sys.exit(f"import: {exc}")
    bootstrap = _bootstrap(settings)
    ensure_topics(bootstrap, settings.topic_partitions)
    producer = make_producer(bootstrap, client_id="ioc-import")
    runtime = ConnectorRuntime(source, producer, _engine(settings))
    try:
        stats = run_until_idle(runtime)
    finally:
        producer.close(timeout=10)
    print(_summary(stats))
    return 0 if stats.errors == 0 else 1


def cmd_poll_http(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.http.poller import HttpJsonSource, HttpPollConfig, HttpSourceError
    from connectors.runtime import ConnectorRuntime
    from ioc.cli.main import _bootstrap, _engine, _stop_on_signals
    from streams.clients import make_producer
    from streams.topics import ensure_topics

    try:
        config = HttpPollConfig.load(args.config)
        source = HttpJsonSource(config, config.load_mapping())
    except (OSError, ValueError, HttpSourceError) as exc:
        sys.exit(f"poll-http: config error: {exc}")
    bootstrap = _bootstrap(settings)
    ensure_topics(bootstrap, settings.topic_partitions)
    producer = make_producer(bootstrap, client_id="ioc-poll-http")
    runtime = ConnectorRuntime(source, producer, _engine(settings))
    try:
        if args.once:
            # Own loop rather than runtime.run: a failing server must end --once with an
            # error, not be retried until a timeout.
            stop = _stop_on_signals()
            while not stop.is_set() and runtime.run_once() is not None:
                pass
        else:
            runtime.run(_stop_on_signals(), idle_wait=config.interval_s)
    except HttpSourceError as exc:
        print(_summary(runtime.stats), flush=True)
        sys.exit(f"poll-http: {exc}")
    finally:
        producer.close(timeout=10)
    print(_summary(runtime.stats))
    return 0 if runtime.stats.errors == 0 else 1


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Register `import` and `poll-http` on the `ioc` CLI's subparsers."""
    imp = sub.add_parser("import", help="import a one-stop-shop dossier export (CSV or XLSX)")
    imp.add_argument("file", help="CSV (UTF-8, ',' or ';') or XLSX export")
    imp.add_argument("--mapping", default=str(DEFAULT_MAPPING),
                     help="column mapping YAML (default: the bundled one_stop_vi.yaml)")
    imp.set_defaults(func=cmd_import)
    poll = sub.add_parser("poll-http", help="poll an HTTP JSON API for new or updated records")
    poll.add_argument("--config", required=True, help="HTTP poll settings YAML")
    poll.add_argument("--once", action="store_true",
                      help="stop when the server has nothing new (default: keep polling)")
    poll.set_defaults(func=cmd_poll_http)


__all__ = ["add_parsers", "cmd_import", "cmd_poll_http"]

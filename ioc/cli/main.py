"""The `ioc` command. Kafka-facing code is imported inside the commands that need it, so the
domain package stays importable without a broker."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
from pathlib import Path

from ioc.cli.rules import add_parsers as add_rule_parsers
from ioc.cli.sources import add_parsers
from ioc.cli.users import add_parsers as add_user_parsers
from ioc.kpis.windows import WINDOW_NAMES
from ioc.logging_setup import setup_logging
from ioc.settings import Settings, load_settings


def _stop_on_signals() -> threading.Event:
    stop = threading.Event()

    def handler(signum, _frame):  # noqa: ANN001
        stop.set()

    signal.signal(signal.SIGINT, handler)
    signal.signal(signal.SIGTERM, handler)
    return stop


def _engine(settings: Settings):  # noqa: ANN202
    from ioc.db.migrate import migrated_engine

    return migrated_engine(settings.database_url)


def _bootstrap(settings: Settings) -> str:
    from streams.discovery import resolve_bootstrap

    bootstrap = resolve_bootstrap(settings)
    if not bootstrap:
        sys.exit("no Kafka broker: run `ioc up` first or set IOC_KAFKA_BOOTSTRAP")
    return bootstrap


# ---------------------------------------------------------------- commands

def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from ioc.ui.serve import command
    from streams.supervisor import Supervisor

    # The UI's command line is handed to the supervisor: streams never imports the UI.
    sup = Supervisor(settings, simulators=not args.no_simulators, ui=not args.no_ui,
                     ui_command=command)
    stop = _stop_on_signals()
    sup.stop_event = stop
    try:
        url = sup.start()
        from ioc.cli.users import announce_admin

        announce_admin(_engine(settings))  # first run: an admin, password shown once
        print(f"IOC đang chạy · running: {url}  (broker {sup.bootstrap}; Ctrl-C to stop)",
              flush=True)
        sup.watch()
    finally:
        sup.shutdown()
        print("stopped", flush=True)
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    _engine(settings).dispose()
    print("database at head")
    return 0


def cmd_aggregate(args: argparse.Namespace, settings: Settings) -> int:
    from datetime import timedelta

    from ioc.alerts.rules import RuleError, parse_targets
    from streams.aggregator import Aggregator
    from streams.alert_evaluator import AlertEvaluator, run_deliveries
    from streams.reminder_scan import ReminderScanner
    from streams.topics import ensure_topics

    try:  # a typo in the setting must stop here with its name, not at the first reminder
        reminder_targets = [t for t in parse_targets(settings.reminder_targets) if t != "banner"]
    except RuleError as exc:
        raise SystemExit(f"IOC_REMINDER_TARGETS: {exc}") from None
    engine = _engine(settings)
    bootstrap = _bootstrap(settings)
    ensure_topics(bootstrap, settings.topic_partitions)
    agg = Aggregator(bootstrap, engine, group=settings.consumer_group,
                     instance=args.instance, reminder_every_s=settings.reminder_seconds)
    # Rules are evaluated as data commits; webhook and e-mail go out from their own thread.
    agg.alerts = AlertEvaluator(engine, agg.producer)
    if settings.reminder_seconds > 0:
        # Deadline reminders ride on the aggregator: it knows when the state is caught up.
        # Their notifications share the alert outbox: the topic now, the rest in the thread.
        evaluator = agg.alerts
        agg.reminders = ReminderScanner(
            engine, settings.province_code,
            timedelta(minutes=settings.reminder_digest_minutes),
            timedelta(hours=settings.reminder_live_hours),
            reminder_targets,
            deliver=lambda now: evaluator.deliver(now, external=False))
    stop = _stop_on_signals()
    threading.Thread(target=run_deliveries, args=(agg.alerts, stop), daemon=True,
                     name="alert-deliveries").start()
    try:
        agg.run(stop)
    finally:
        agg.close()
    return 0


def cmd_connect(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.registry import CONNECTORS
    from connectors.runtime import ConnectorRuntime
    from streams.clients import make_producer

    if args.name not in CONNECTORS:
        sys.exit(f"unknown connector {args.name!r}; known: {', '.join(sorted(CONNECTORS))}")
    from streams.topics import ensure_topics

    source = CONNECTORS[args.name](settings)
    bootstrap = _bootstrap(settings)
    ensure_topics(bootstrap, settings.topic_partitions)
    producer = make_producer(bootstrap, client_id=args.name)
    runtime = ConnectorRuntime(source, producer, _engine(settings))
    try:
        runtime.run(_stop_on_signals())
    finally:
        producer.close(timeout=10)
    return 0


def cmd_ingest(args: argparse.Namespace, settings: Settings) -> int:
    from connectors.files.jsonl import JsonlFileSource
    from connectors.runtime import ConnectorRuntime, run_until_idle
    from ioc.events.contracts import contract_for_topic
    from streams.clients import make_producer

    try:
        contract = contract_for_topic(args.topic)
    except ValueError as exc:
        sys.exit(str(exc))
    if not Path(args.file).is_file():
        sys.exit(f"no such file: {args.file}")
    producer = make_producer(_bootstrap(settings), client_id="ioc-ingest")
    runtime = ConnectorRuntime(JsonlFileSource(Path(args.file), contract), producer,
                               _engine(settings))
    try:
        stats = run_until_idle(runtime)
    finally:
        producer.close(timeout=10)
    print(json.dumps({"produced": stats.produced, "dead_lettered": stats.dead,
                      "redacted": stats.redacted, "errors": stats.errors}))
    return 0 if stats.errors == 0 else 1


def cmd_kpi(args: argparse.Namespace, settings: Settings) -> int:
    from ioc.kpis.values import compute_kpis
    from ioc.kpis.windows import parse_day

    scope = args.scope or f"province:{settings.province_code}"
    try:
        first = parse_day(args.date_from) if args.date_from else None
        last = parse_day(args.date_to) if args.date_to else None
        window = "custom" if first or last else args.window
        values = compute_kpis(_engine(settings), scope=scope, window=window, first=first,
                              last=last)
    except ValueError as exc:
        sys.exit(str(exc))
    rows = [v.as_dict() for v in values]
    if args.stream:
        rows = [r for r in rows if r["kpi"].startswith(args.stream + ".")]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for r in rows:
            by = f" [{r['by']}]" if r.get("by") else ""
            print(f"{r['kpi']:<32}{by:<24} {r['window']:>7}  {r['value']}"
                  f"  (trước/prev {r['previous']})")
    return 0


def cmd_targets(args: argparse.Namespace, settings: Settings) -> int:
    import getpass

    from ioc.kpis.catalogue import BY_CODE
    from ioc.kpis.targets import load_targets, set_target

    engine = _engine(settings)
    if args.action == "set":
        if args.code is None or args.value is None:
            sys.exit("usage: ioc targets set CODE VALUE (VALUE 'none' clears the target)")
        try:
            value = None if args.value in ("none", "-") else float(args.value)
            set_target(engine, args.code, value, by=f"cli:{getpass.getuser()}")
        except ValueError as exc:
            sys.exit(str(exc))
    targets = load_targets(engine)
    rows = [{"kpi": code, "target": t, "default": BY_CODE[code].target,
             "label_vi": BY_CODE[code].label_vi} for code, t in targets.items()]
    if args.json:
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        for r in rows:
            print(f"{r['kpi']:<32} {r['target']!s:>6}  (mặc định/default {r['default']})")
    return 0


def cmd_status(args: argparse.Namespace, settings: Settings) -> int:
    from streams.status import collect_status

    status = collect_status(settings)
    if args.json:
        print(json.dumps(status, ensure_ascii=False, indent=1, default=str))
    else:
        for k, v in status.items():
            print(f"{k}: {v}")
    return 0


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from streams.bench import run_bench

    result = run_bench(settings, events=args.events, database_url=args.database_url)
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    import subprocess

    from ioc.ui.serve import command

    return subprocess.call(command(settings.ui_port))


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="ioc", description="IOC streaming dashboard")
    sub = p.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start broker, simulators, aggregator and UI")
    up.add_argument("--no-simulators", action="store_true", help="no simulated traffic")
    up.add_argument("--no-ui", action="store_true", help="do not start the Streamlit UI")
    up.set_defaults(func=cmd_up)
    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(
        func=cmd_migrate)
    agg = sub.add_parser("aggregate", help="run one aggregator instance (consumer group)")
    agg.add_argument("--instance", default=None, help="instance name (default host-pid)")
    agg.set_defaults(func=cmd_aggregate)
    con = sub.add_parser("connect", help="run one named connector")
    con.add_argument("name", help="sim-dossier | sim-feedback | sim-social")
    con.set_defaults(func=cmd_connect)
    ing = sub.add_parser("ingest", help="push a JSONL file of events through validation")
    ing.add_argument("--topic", required=True)
    ing.add_argument("file")
    ing.set_defaults(func=cmd_ingest)
    kpi = sub.add_parser("kpi", help="print KPI values")
    kpi.add_argument("--json", action="store_true")
    kpi.add_argument("--scope", default=None,
                     help="province:CODE | commune:CODE | agency:CODE | procedure:CODE, "
                          "or several joined by ',' (drill-down)")
    kpi.add_argument("--window", default="24h", choices=WINDOW_NAMES,
                     help="today | 24h | 7d | 30d | month | quarter | ytd | custom")
    kpi.add_argument("--from", dest="date_from", help="custom window: first day, dd/mm/yyyy")
    kpi.add_argument("--to", dest="date_to", help="custom window: last day, dd/mm/yyyy")
    kpi.add_argument("--stream", choices=("dossier", "feedback", "social"),
                     help="only this stream's KPIs")
    kpi.set_defaults(func=cmd_kpi)
    tg = sub.add_parser("targets", help="list or set KPI targets (ratios 0..1)")
    tg.add_argument("action", choices=("list", "set"))
    tg.add_argument("code", nargs="?", help="KPI code, e.g. dossier.online_eligible_rate")
    tg.add_argument("value", nargs="?", help="target value, or 'none' to clear")
    tg.add_argument("--json", action="store_true")
    tg.set_defaults(func=cmd_targets)
    st = sub.add_parser("status", help="broker, topics, lag, freshness, dead letters")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)
    b = sub.add_parser("bench", help="measure raw consume vs aggregator throughput")
    b.add_argument("--events", type=int, default=200000)
    b.add_argument("--json", action="store_true")
    b.add_argument("--database-url", default=None,
                   help="database for the run (default: a fresh SQLite file under var/)")
    b.set_defaults(func=cmd_bench)
    sub.add_parser("ui", help="run only the Streamlit UI").set_defaults(func=cmd_ui)
    add_parsers(sub)  # ioc import, ioc poll-http (ioc/cli/sources.py)
    add_rule_parsers(sub)  # ioc rules … (ioc/cli/rules.py)
    add_user_parsers(sub)  # ioc users … (ioc/cli/users.py)
    return p


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    settings = load_settings()
    setup_logging(settings.log_level, args.command)
    return int(args.func(args, settings) or 0)


if __name__ == "__main__":
    sys.exit(main())

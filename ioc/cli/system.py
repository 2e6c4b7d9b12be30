"""`ioc up | migrate | aggregate | status | bench | ui`: running and watching the system.

`ioc up` is where the pieces meet: the supervisor (streams) gets the UI's command line from
here, so streams never imports the UI.
"""

from __future__ import annotations

import argparse
import json
import threading

from ioc.cli import wiring
from ioc.settings import Settings


def cmd_up(args: argparse.Namespace, settings: Settings) -> int:
    from ioc.cli.users import announce_admin
    from ioc.ui.serve import command
    from streams.supervisor import Supervisor

    sup = Supervisor(settings, simulators=not args.no_simulators, ui=not args.no_ui,
                     ui_command=command,
                     # Broker lost and restarted, connectors rewound: said in the output.
                     say=lambda line: print(line, flush=True))
    stop = wiring.stop_on_signals()
    sup.stop_event = stop
    try:
        url = sup.start()
        announce_admin(wiring.engine(settings))  # first run: an admin, password shown once
        print(f"IOC đang chạy · running: {url}  (broker {sup.bootstrap}; Ctrl-C to stop)",
              flush=True)
        sup.watch()
    finally:
        sup.shutdown()
        print("stopped", flush=True)
    return 0


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    wiring.engine(settings).dispose()
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
    engine = wiring.engine(settings)
    bootstrap = wiring.bootstrap(settings)
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
    stop = wiring.stop_on_signals()
    threading.Thread(target=run_deliveries, args=(agg.alerts, stop), daemon=True,
                     name="alert-deliveries").start()
    try:
        agg.run(stop)
    finally:
        agg.close()
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
    from streams.bench_history import run_history_bench

    if args.history_days:
        from ioc.ui import batch_cache

        result = run_history_bench(settings, args.history_days, args.province,
                                   args.database_url, rate=args.rate, runs=args.runs,
                                   viewers=(batch_cache.overview_data, batch_cache.clear),
                                   chunk_days=args.chunk_days)
    else:
        result = run_bench(settings, events=args.events, database_url=args.database_url)
    print(json.dumps(result) if args.json else "\n".join(f"{k}: {v}" for k, v in result.items()))
    return 0


def cmd_ui(args: argparse.Namespace, settings: Settings) -> int:
    import subprocess

    from ioc.ui.serve import command

    return subprocess.call(command(settings.ui_port))


def add_run_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `up`, `migrate` and `aggregate`."""
    up = sub.add_parser("up", help="start broker, simulators, aggregator and UI")
    up.add_argument("--no-simulators", action="store_true", help="no simulated traffic")
    up.add_argument("--no-ui", action="store_true", help="do not start the Streamlit UI")
    up.set_defaults(func=cmd_up)
    sub.add_parser("migrate", help="create or upgrade the database schema").set_defaults(
        func=cmd_migrate)
    agg = sub.add_parser("aggregate", help="run one aggregator instance (consumer group)")
    agg.add_argument("--instance", default=None, help="instance name (default host-pid)")
    agg.set_defaults(func=cmd_aggregate)


def add_watch_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `status`, `bench` and `ui`."""
    st = sub.add_parser("status", help="broker, topics, lag, freshness, dead letters")
    st.add_argument("--json", action="store_true")
    st.set_defaults(func=cmd_status)
    b = sub.add_parser("bench", help="measure raw consume vs aggregator throughput")
    b.add_argument("--events", type=int, default=200000)
    b.add_argument("--json", action="store_true")
    b.add_argument("--database-url", default=None,
                   help="database for the run (default: a fresh SQLite file under var/)")
    b.add_argument("--history-days", type=int, default=0,
                   help="build N days of a province's history, replay it, time every page")
    b.add_argument("--province", default=None, help="province code (default IOC_PROVINCE)")
    b.add_argument("--rate", type=float, default=1.0,
                   help="history volume as a multiple of the simulators' real rhythm")
    b.add_argument("--runs", type=int, default=5, help="timed runs per query, cold and warm")
    b.add_argument("--chunk-days", type=int, default=30,
                   help="history days produced and drained before the embedded broker "
                        "restarts empty (its memory stays bounded)")
    b.set_defaults(func=cmd_bench)
    sub.add_parser("ui", help="run only the Streamlit UI").set_defaults(func=cmd_ui)


__all__ = ["add_run_parsers", "add_watch_parsers", "cmd_aggregate", "cmd_bench", "cmd_migrate",
           "cmd_status", "cmd_ui", "cmd_up"]

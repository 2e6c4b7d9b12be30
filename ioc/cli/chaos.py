"""`ioc chaos`: random kill -9 of the aggregator and the broker during a live ingest with known
answers, then every total compared with a recomputation (streams/chaos/)."""

from __future__ import annotations

import argparse
import json

from ioc.settings import Settings


def cmd_chaos(args: argparse.Namespace, settings: Settings) -> int:
    from streams.chaos.harness import run_chaos

    report = run_chaos(args.aggregator_kills, args.broker_kills, events=args.events,
                       seed=args.seed, database_url=args.database_url, keep=args.keep)
    out = report.as_dict()
    print(json.dumps(out, ensure_ascii=False) if args.json
          else "\n".join(f"{k}: {v}" for k, v in out.items()))
    return 0 if out["equal"] else 1


def add_parsers(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    c = sub.add_parser("chaos", help="kill the aggregator and broker during an ingest, then "
                                     "compare every total with a recomputation")
    c.add_argument("--aggregator-kills", type=int, default=10)
    c.add_argument("--broker-kills", type=int, default=1)
    c.add_argument("--events", type=int, default=3000, help="about this many events")
    c.add_argument("--seed", type=int, default=7)
    c.add_argument("--database-url", default=None,
                   help="database for the run (default: a fresh SQLite file); a PostgreSQL "
                        "database is emptied first")
    c.add_argument("--keep", action="store_true", help="keep the run's files and logs")
    c.add_argument("--json", action="store_true")
    c.set_defaults(func=cmd_chaos)

"""`ioc sla list|set`: the handling deadlines (SLA) of citizen feedback per category/agency."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime

from ioc.cli import wiring
from ioc.settings import Settings


def _row(rule) -> dict:  # noqa: ANN001
    return {"category": rule.category, "agency_code": rule.agency_code, "days": rule.days,
            "valid_from": rule.valid_from.isoformat(), "set_by": rule.set_by,
            "set_at": rule.set_at.isoformat(), "reason": rule.reason}


def cmd_sla(args: argparse.Namespace, settings: Settings) -> int:
    from ioc.feedback.sla import CATEGORY_NAMES
    from ioc.feedback.sla_store import history, load_policy, set_rule
    from ioc.kpis.windows import parse_day
    from ioc.reference.catalogue import DEFAULT_FEEDBACK_SLA_DAYS

    engine = wiring.engine(settings)
    if args.action == "set":
        if args.category is None or args.days is None or not args.actor:
            sys.exit("usage: ioc sla set CATEGORY DAYS [--agency CODE] [--from DATE] "
                     "[--reason TEXT] --actor NAME")
        try:
            days = float(args.days.replace(",", "."))
            start = parse_day(args.date_from) if args.date_from else None
            rule = set_rule(engine, args.category, days, args.actor, args.agency or "",
                            start, args.reason or "")
        except ValueError as exc:
            sys.exit(f"sla set: {exc}")
        print(json.dumps(_row(rule), ensure_ascii=False) if args.json else
              f"đã lưu · saved: {rule.category} {rule.agency_code or '*'} {rule.days:g} ngày "
              f"làm việc từ · from {rule.valid_from:%Y-%m-%d %H:%M} UTC")
        return 0
    now = datetime.now(UTC)
    in_force = load_policy(engine).in_force(now)
    known = {r.category for r in in_force if not r.agency_code}
    if args.json:
        print(json.dumps({"in_force": [_row(r) for r in in_force],
                          "default_days": DEFAULT_FEEDBACK_SLA_DAYS,
                          "history": [_row(r) for r in history(engine)]},
                         ensure_ascii=False, indent=1))
        return 0
    for r in in_force:
        print(f"{r.category:<22} {r.agency_code or '*':<14} {r.days:>5g} ngày  "
              f"từ/from {r.valid_from:%Y-%m-%d}  {r.set_by}  {r.reason}")
    for c in CATEGORY_NAMES:
        if c not in known:
            print(f"{c:<22} {'*':<14} {DEFAULT_FEEDBACK_SLA_DAYS:>5g} ngày  (mặc định · default)")
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `sla`."""
    p = sub.add_parser("sla", help="feedback handling deadlines per category (list | set)")
    p.add_argument("action", choices=("list", "set"))
    p.add_argument("category", nargs="?", help="feedback category, e.g. 'giao thông'")
    p.add_argument("days", nargs="?", help="working days, 0.5..60")
    p.add_argument("--agency", default="", help="only for this agency code (default: any)")
    p.add_argument("--from", dest="date_from",
                   help="first local day it applies (dd/mm/yyyy; default now; not in the past)")
    p.add_argument("--reason", default="", help="why (kept in the audit trail)")
    p.add_argument("--actor", default="", help="who sets it (required for set)")
    p.add_argument("--json", action="store_true")
    p.set_defaults(func=cmd_sla)

"""`ioc kpi` and `ioc targets`: KPI values and their targets from the command line."""

from __future__ import annotations

import argparse
import json
import sys

from ioc.cli import wiring
from ioc.kpis.windows import WINDOW_NAMES
from ioc.settings import Settings


def cmd_kpi(args: argparse.Namespace, settings: Settings) -> int:
    from ioc.kpis.values import compute_kpis
    from ioc.kpis.windows import parse_day

    scope = args.scope or f"province:{settings.province_code}"
    try:
        first = parse_day(args.date_from) if args.date_from else None
        last = parse_day(args.date_to) if args.date_to else None
        window = "custom" if first or last else args.window
        values = compute_kpis(wiring.engine(settings), scope=scope, window=window, first=first,
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

    engine = wiring.engine(settings)
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


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `kpi` and `targets`."""
    kpi = sub.add_parser("kpi", help="print KPI values")
    kpi.add_argument("--json", action="store_true")
    kpi.add_argument("--scope", default=None,
                     help="province:CODE | commune:CODE | agency:CODE | procedure:CODE | "
                          "category:NAME (feedback) | platform:NAME | topic:NAME (social), "
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


__all__ = ["add_parsers", "cmd_kpi", "cmd_targets"]

"""`ioc rules list|add|disable|enable|export|import|audit`: alert rules from the command line.

Errors exit non-zero with the validation message, which names the field ("threshold: must be
a number"). Changes are recorded as `cli:<OS user>`. Domain modules are imported inside the
commands, so building the parser stays light.
"""

from __future__ import annotations

import argparse
import getpass
import json
import sys
from pathlib import Path
from typing import Any

from ioc.auth import Identity
from ioc.cli import wiring
from ioc.settings import Settings


def _actor() -> Identity:
    """Whoever runs the CLI holds the database credentials, so they act as an admin; the
    audit trail records them as cli:LOGIN."""
    try:
        user = getpass.getuser()
    except (OSError, KeyError):  # no login name in some containers
        user = "unknown"
    return Identity(f"cli:{user}"[:100], "admin")  # rule_audit.actor is String(100)


def _number(text: str | None, as_int: bool = False) -> Any:
    """CLI text → number; unparsable text is passed on so validation names the field."""
    if text is None:
        return None
    try:
        return int(text) if as_int else float(text)
    except ValueError:
        return text


def _param(text: str) -> tuple[str, Any]:
    key, sep, value = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"--param wants KEY=VALUE, got {text!r}")
    number = _number(value, as_int=value.strip().lstrip("-").isdigit())
    return key.strip(), number


def _rule_from_args(args: argparse.Namespace) -> dict[str, Any]:
    flags = {"rule_id": args.id, "name": args.name, "kind": args.kind, "kpi": args.kpi,
             "scope": args.scope, "window": args.window, "comparator": args.op,
             "threshold": _number(args.threshold),
             "pending_minutes": _number(args.pending_minutes, as_int=True),
             "hysteresis": _number(args.hysteresis), "severity": args.severity,
             "targets": args.target, "params": dict(args.param) if args.param else None}
    if args.file:
        given = [k for k, v in flags.items() if v is not None]
        if given:
            sys.exit(f"rules add: --file excludes the field flags (got {', '.join(given)})")
        import yaml

        try:
            data = yaml.safe_load(Path(args.file).read_text(encoding="utf-8"))
        except (OSError, yaml.YAMLError) as exc:
            sys.exit(f"rules add: {args.file}: {exc}")
        if not isinstance(data, dict) or "rules" in data:
            sys.exit(f"rules add: {args.file} must hold one rule (a mapping of fields); "
                     "use `ioc rules import` for a list of rules")
        return data
    return {k: v for k, v in flags.items() if v is not None}


def _print_audit(entries: list[Any], as_json: bool) -> None:
    from ioc.alerts.rule_store import changed_fields

    if as_json:
        print(json.dumps([{"id": e.id, "rule_id": e.rule_id, "action": e.action,
                           "actor": e.actor, "at": e.at.isoformat(), "before": e.before,
                           "after": e.after} for e in entries], ensure_ascii=False, indent=1))
        return
    for e in entries:
        diff = ", ".join(f"{k}: {b!r} → {a!r}" for k, (b, a) in changed_fields(e).items())
        print(f"{e.at:%Y-%m-%d %H:%M:%S}Z  {e.rule_id:<24} {e.action:<8} {e.actor:<20} {diff}")


# ---------------------------------------------------------------- commands

def cmd_rules(args: argparse.Namespace, settings: Settings) -> int:
    from ioc.alerts import rule_store as store
    from ioc.alerts.rules import RuleError, parse_rule, rules_from_yaml, rules_to_yaml

    engine = wiring.engine(settings)
    try:
        if args.action == "list":
            rows = store.list_stored(engine)
            if args.json:
                from ioc.alerts.rules import rule_to_dict

                print(json.dumps([{**rule_to_dict(r.rule), "version": r.version,
                                   "updated_at": r.updated_at.isoformat(),
                                   "updated_by": r.updated_by} for r in rows],
                                 ensure_ascii=False, indent=1))
                return 0
            for sr in rows:
                r = sr.rule
                state = "on " if r.enabled else "off"
                print(f"{r.rule_id:<24} {state} {r.severity:<8} {r.kpi} {r.comparator} "
                      f"{r.threshold:g} [{r.scope}, {r.window}] v{sr.version}")
        elif args.action == "add":
            rule = parse_rule(_rule_from_args(args))
            try:
                result = store.save_rule(engine, rule, _actor(), create_only=not args.replace)
            except store.RuleExists as exc:
                sys.exit(f"{exc} (use --replace to change it)")
            print(f"{rule.rule_id}: {result}")
        elif args.action in ("enable", "disable"):
            changed = store.set_enabled(engine, args.rule_id, args.action == "enable", _actor())
            print(f"{args.rule_id}: {args.action}d" if changed
                  else f"{args.rule_id}: already {args.action}d")
        elif args.action == "export":
            text = rules_to_yaml(store.list_rules(engine))
            if args.file:
                Path(args.file).write_text(text, encoding="utf-8")
            else:
                sys.stdout.write(text)
        elif args.action == "import":
            try:
                text = Path(args.file).read_text(encoding="utf-8")
            except OSError as exc:
                sys.exit(f"rules import: {exc}")
            results = store.import_rules(engine, rules_from_yaml(text), _actor())
            counts = {k: sum(1 for v in results.values() if v == k)
                      for k in ("create", "update", "unchanged")}
            print(json.dumps(counts))
        elif args.action == "audit":
            _print_audit(store.audit_trail(engine, args.rule_id), args.json)
    except (RuleError, store.RuleNotFound) as exc:
        sys.exit(str(exc))
    finally:
        engine.dispose()
    return 0


def add_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `rules` and its actions on the `ioc` CLI's subparsers."""
    rules = sub.add_parser("rules", help="alert rules: list, add, enable/disable, YAML, audit")
    acts = rules.add_subparsers(dest="action", required=True)
    ls = acts.add_parser("list", help="all rules, enabled or not")
    ls.add_argument("--json", action="store_true")
    add = acts.add_parser("add", help="add a rule from flags or from a one-rule YAML file")
    add.add_argument("--file", help="YAML file holding one rule (a mapping of fields)")
    add.add_argument("--id", help="rule id: [a-z0-9][a-z0-9._-]{0,63}")
    add.add_argument("--name", help="label shown with the alert (default: the id)")
    add.add_argument("--kind", help="threshold (default) | burst")
    add.add_argument("--kpi", help="KPI code, e.g. dossier.on_time_rate")
    add.add_argument("--scope", help="province:CODE | commune:CODE | agency:CODE | "
                                     "procedure:CODE, several joined by ','")
    add.add_argument("--window", help="today | 24h | 7d | 30d")
    add.add_argument("--op", help="comparator: > >= < <= (quote it in the shell)")
    add.add_argument("--threshold", help="number; ratios 0..1")
    add.add_argument("--pending-minutes", help="minutes the condition must hold (default 0)")
    add.add_argument("--hysteresis", help="margin past the threshold before resolving")
    add.add_argument("--severity", help="info | warning (default) | critical")
    add.add_argument("--target", action="append",
                     help="banner | webhook | email:ADDRESS (repeatable; default banner)")
    add.add_argument("--param", action="append", type=_param,
                     help="burst parameter KEY=VALUE: baseline_weeks, min_count, factor")
    add.add_argument("--replace", action="store_true",
                     help="replace an existing rule with the same id")
    for name in ("disable", "enable"):
        p = acts.add_parser(name, help=f"{name} a rule (recorded in the audit trail)")
        p.add_argument("rule_id")
    exp = acts.add_parser("export", help="write all rules as YAML")
    exp.add_argument("file", nargs="?", help="output file (default: stdout)")
    imp = acts.add_parser("import", help="create or update rules from YAML, all or nothing")
    imp.add_argument("file")
    aud = acts.add_parser("audit", help="who changed what, when")
    aud.add_argument("rule_id", nargs="?", help="only this rule")
    aud.add_argument("--json", action="store_true")
    rules.set_defaults(func=cmd_rules)


__all__ = ["add_parsers", "cmd_rules"]

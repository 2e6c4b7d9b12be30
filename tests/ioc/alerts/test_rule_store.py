"""Alert rules in SQL: audit rows for every change (and none for no change), all-or-nothing
import, export → import round trip, and the `ioc rules` commands."""

from __future__ import annotations

import argparse
import dataclasses
import getpass
import json
from types import SimpleNamespace

import pytest
from sqlalchemy import func, select

from ioc.alerts import rule_store as store
from ioc.alerts.rules import RuleError, parse_rule, rule_to_dict, rules_from_yaml, rules_to_yaml
from ioc.auth import Identity, PermissionDenied
from ioc.cli.rules import add_parsers
from ioc.db import schema as s

BASE = {"rule_id": "on-time.p25", "name": "Đúng hạn tỉnh", "kpi": "dossier.on_time_rate",
        "scope": "province:25", "window": "24h", "comparator": "<", "threshold": 0.9,
        "hysteresis": 0.02, "pending_minutes": 15, "severity": "warning",
        "targets": ["banner", "email:ops@tayninh.gov.vn"]}
BURST = {"rule_id": "pakn-burst", "kind": "burst", "kpi": "feedback.received",
         "scope": "commune:08494", "window": "24h",
         "params": {"baseline_weeks": 4, "min_count": 10, "factor": 3}}


def admin(name: str) -> Identity:
    return Identity(name, "admin")


def _rule(**changes):
    return parse_rule({**BASE, **changes})


def _count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


def test_create_update_disable_enable_audit(engine):
    r1 = _rule()
    assert store.save_rule(engine, r1, admin("alice")) == "create"
    assert store.get_rule(engine, r1.rule_id) == r1
    sr = store.get_stored(engine, r1.rule_id)
    assert (sr.version, sr.updated_by) == (1, "alice")

    r2 = dataclasses.replace(r1, threshold=0.85, severity="critical")
    assert store.save_rule(engine, r2, admin("bob")) == "update"
    assert store.set_enabled(engine, r1.rule_id, False, admin("carol")) is True
    assert store.set_enabled(engine, r1.rule_id, True, admin("dave")) is True

    sr = store.get_stored(engine, r1.rule_id)
    assert (sr.rule, sr.version, sr.updated_by) == (r2, 4, "dave")

    trail = store.audit_trail(engine, r1.rule_id)
    assert [(e.action, e.actor) for e in trail] == [
        ("create", "alice"), ("update", "bob"), ("disable", "carol"), ("enable", "dave")]
    create, upd, dis, ena = trail
    assert create.before is None
    assert create.after == {**rule_to_dict(r1), "version": 1}
    assert upd.before == {**rule_to_dict(r1), "version": 1}
    assert upd.after == {**rule_to_dict(r2), "version": 2}
    assert store.changed_fields(upd) == {"threshold": (0.9, 0.85),
                                         "severity": ("warning", "critical")}
    assert (dis.before["enabled"], dis.after["enabled"], dis.after["version"]) == (True, False, 3)
    assert store.changed_fields(dis) == {"enabled": (True, False)}
    assert store.changed_fields(ena) == {"enabled": (False, True)}
    assert all(e.at is not None and e.rule_id == r1.rule_id for e in trail)
    assert [e.id for e in trail] == sorted(e.id for e in trail)


def test_unchanged_writes_nothing(engine):
    r = _rule()
    store.save_rule(engine, r, admin("alice"))
    before = store.get_stored(engine, r.rule_id)
    assert store.save_rule(engine, _rule(), admin("bob")) == "unchanged"
    assert store.set_enabled(engine, r.rule_id, True, admin("bob")) is False
    after = store.get_stored(engine, r.rule_id)
    assert (after.version, after.updated_by, after.updated_at) == (
        before.version, before.updated_by, before.updated_at)
    assert len(store.audit_trail(engine)) == 1


def test_disabled_rules_and_filters(engine):
    store.save_rule(engine, _rule(), admin("a"))
    store.save_rule(engine, parse_rule(BURST), admin("a"))
    store.set_enabled(engine, "pakn-burst", False, admin("a"))
    assert [r.rule_id for r in store.list_rules(engine)] == ["on-time.p25", "pakn-burst"]
    assert [r.rule_id for r in store.list_rules(engine, include_disabled=False)] == [
        "on-time.p25"]
    assert dict(store.get_rule(engine, "pakn-burst").params) == {
        "baseline_weeks": 4, "min_count": 10, "factor": 3.0}
    assert [e.rule_id for e in store.audit_trail(engine, "pakn-burst")] == ["pakn-burst"] * 2
    assert len(store.audit_trail(engine)) == 3


def test_missing_rule(engine):
    with pytest.raises(store.RuleNotFound) as exc:
        store.set_enabled(engine, "nope", False, admin("a"))
    assert str(exc.value) == "rule_id: no rule 'nope'"
    assert isinstance(exc.value, KeyError)
    with pytest.raises(store.RuleNotFound):
        store.get_rule(engine, "nope")
    assert _count(engine, s.rule_audit) == 0


def test_create_only_refuses_existing(engine):
    store.save_rule(engine, _rule(), admin("a"))
    with pytest.raises(store.RuleExists, match="rule_id: rule 'on-time.p25' already exists"):
        store.save_rule(engine, _rule(threshold=0.5), admin("b"), create_only=True)
    assert store.get_rule(engine, "on-time.p25").threshold == 0.9
    assert len(store.audit_trail(engine)) == 1


def test_invalid_rule_object_is_refused(engine):
    bad = dataclasses.replace(_rule(), threshold=7.0)  # bypassed parse_rule
    with pytest.raises(RuleError, match="threshold: .* between 0 and 1"):
        store.save_rule(engine, bad, admin("a"))
    assert _count(engine, s.alert_rules) == 0


def test_import_is_all_or_nothing_on_a_bad_rule(engine):
    store.save_rule(engine, _rule(), admin("a"))
    good = [_rule(threshold=0.8), parse_rule(BURST)]
    bad = dataclasses.replace(_rule(rule_id="bad"), window="custom")
    with pytest.raises(RuleError) as exc:
        store.import_rules(engine, [*good, bad], admin("importer"))
    assert exc.value.errors == ["rule 3 (bad): window: must be one of 1h, today, 24h, 7d, 30d, "
                                "got 'custom'"]
    with pytest.raises(RuleError, match=r"rule 2 \(on-time.p25\): rule_id: duplicate"):
        store.import_rules(engine, [good[0], good[0]], admin("importer"))
    assert store.list_rules(engine) == [_rule()]
    assert len(store.audit_trail(engine)) == 1


def test_import_rolls_back_when_a_write_fails(engine, monkeypatch):
    store.save_rule(engine, _rule(), admin("a"))
    real = store._write
    calls = []

    def failing(conn, rule, actor, action, create_only=False):
        calls.append(rule.rule_id)
        if len(calls) == 2:
            raise RuntimeError("disk full")
        return real(conn, rule, actor, action, create_only)

    monkeypatch.setattr(store, "_write", failing)
    with pytest.raises(RuntimeError):
        store.import_rules(engine, [_rule(threshold=0.5), parse_rule(BURST)],
                           admin("importer"))
    assert calls == ["on-time.p25", "pakn-burst"]
    assert store.list_rules(engine) == [_rule()]  # the first (updated) rule rolled back too
    assert [e.action for e in store.audit_trail(engine)] == ["create"]


def test_import_actions_and_export_round_trip(engine):
    store.save_rule(engine, _rule(), admin("a"))
    store.save_rule(engine, _rule(rule_id="stale", threshold=0.5), admin("a"))
    rules = [_rule(), _rule(rule_id="stale", threshold=0.6), parse_rule(BURST)]
    assert store.import_rules(engine, rules, admin("importer")) == {
        "on-time.p25": "unchanged", "stale": "update", "pakn-burst": "create"}
    imports = [e for e in store.audit_trail(engine) if e.action == "import"]
    assert [(e.rule_id, e.actor) for e in imports] == [("stale", "importer"),
                                                       ("pakn-burst", "importer")]
    assert imports[0].before["threshold"] == 0.5 and imports[0].after["threshold"] == 0.6
    assert imports[1].before is None and imports[1].after["version"] == 1

    store.set_enabled(engine, "stale", False, admin("a"))
    exported = rules_to_yaml(store.list_rules(engine))
    n_audit = len(store.audit_trail(engine))
    # Importing our own export changes nothing …
    assert set(store.import_rules(engine, rules_from_yaml(exported), admin("x")).values()) == {
        "unchanged"}
    assert len(store.audit_trail(engine)) == n_audit
    assert rules_to_yaml(store.list_rules(engine)) == exported
    # … and into an empty database it restores equal rules.
    with engine.begin() as conn:
        conn.execute(s.alert_rules.delete())
    store.import_rules(engine, rules_from_yaml(exported), admin("restore"))
    assert rules_to_yaml(store.list_rules(engine)) == exported
    assert store.get_rule(engine, "stale").enabled is False


# ------------------------------------------------------------------------------ CLI

def _cli(db_url: str, *argv: str) -> None:
    p = argparse.ArgumentParser(prog="ioc")
    add_parsers(p.add_subparsers(dest="command", required=True))
    args = p.parse_args(list(argv))
    assert args.func(args, SimpleNamespace(database_url=db_url)) == 0


def test_cli_commands(engine, db_url, tmp_path, capsys):
    actor = f"cli:{getpass.getuser()}"
    _cli(db_url, "rules", "add", "--id", "overdue.p25", "--kpi", "dossier.overdue",
         "--scope", "province:25", "--window", "24h", "--op", ">", "--threshold", "20",
         "--pending-minutes", "30", "--hysteresis", "2", "--severity", "critical",
         "--target", "banner", "--target", "email:ops@tayninh.gov.vn", "--name", "Quá hạn")
    assert capsys.readouterr().out == "overdue.p25: create\n"
    r = store.get_rule(engine, "overdue.p25")
    assert (r.threshold, r.pending_minutes, r.hysteresis, r.severity, r.targets, r.name) == (
        20.0, 30, 2.0, "critical", ("banner", "email:ops@tayninh.gov.vn"), "Quá hạn")

    rule_file = tmp_path / "rule.yaml"
    rule_file.write_text("rule_id: pakn-burst\nkind: burst\nkpi: feedback.received\n"
                         "scope: commune:08494\nwindow: 24h\n"
                         "params: {baseline_weeks: 4, min_count: 10, factor: 3}\n")
    _cli(db_url, "rules", "add", "--file", str(rule_file))
    _cli(db_url, "rules", "disable", "pakn-burst")
    _cli(db_url, "rules", "disable", "pakn-burst")
    assert capsys.readouterr().out == ("pakn-burst: create\npakn-burst: disabled\n"
                                       "pakn-burst: already disabled\n")

    _cli(db_url, "rules", "list", "--json")
    listed = json.loads(capsys.readouterr().out)
    assert [(x["rule_id"], x["enabled"], x["version"], x["updated_by"]) for x in listed] == [
        ("overdue.p25", True, 1, actor), ("pakn-burst", False, 2, actor)]
    _cli(db_url, "rules", "list")
    assert capsys.readouterr().out.splitlines()[1].startswith("pakn-burst               off")

    out = tmp_path / "rules.yaml"
    _cli(db_url, "rules", "export", str(out))
    _cli(db_url, "rules", "export")
    assert capsys.readouterr().out == out.read_text() == rules_to_yaml(store.list_rules(engine))
    _cli(db_url, "rules", "enable", "pakn-burst")
    _cli(db_url, "rules", "import", str(out))  # re-disables pakn-burst
    assert capsys.readouterr().out.splitlines()[-1] == json.dumps(
        {"create": 0, "update": 1, "unchanged": 1})
    assert store.get_rule(engine, "pakn-burst").enabled is False

    _cli(db_url, "rules", "audit", "pakn-burst", "--json")
    trail = json.loads(capsys.readouterr().out)
    assert [(e["action"], e["actor"]) for e in trail] == [
        ("create", actor), ("disable", actor), ("enable", actor), ("import", actor)]
    _cli(db_url, "rules", "audit")
    text = capsys.readouterr().out
    assert "enabled: True → False" in text and len(text.splitlines()) == 5


@pytest.mark.parametrize(("argv", "message"), [
    (["add", "--id", "x", "--kpi", "dossier.overdue", "--scope", "province:25", "--window",
      "24h", "--op", ">", "--threshold", "many"], "threshold: must be a number, got 'many'"),
    (["add", "--id", "x", "--kpi", "dossier.nope", "--scope", "province:25", "--window",
      "24h", "--op", ">", "--threshold", "1"], "kpi: unknown KPI 'dossier.nope'"),
    (["add", "--id", "x", "--kpi", "dossier.overdue", "--scope", "province:25", "--window",
      "24h", "--op", ">", "--threshold", "1", "--target", "sms"],
     "targets[0]: unknown target 'sms'"),
    (["add", "--id", "x", "--kpi", "dossier.overdue"], "scope: required"),
    (["add", "--file", "rule.yaml", "--id", "x"], "--file excludes the field flags"),
    (["disable", "ghost"], "rule_id: no rule 'ghost'"),
    (["import", "bad.yaml"], "rule 1 (x): severity: must be one of info, warning, critical"),
])
def test_cli_errors_name_the_field(engine, db_url, tmp_path, monkeypatch, argv, message):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.yaml").write_text(
        "rules:\n- {rule_id: x, kpi: dossier.overdue, scope: 'province:25', window: 24h,\n"
        "   comparator: '>', threshold: 1, severity: urgent}\n")
    with pytest.raises(SystemExit) as exc:
        _cli(db_url, "rules", *argv)
    assert exc.value.code != 0 and message in str(exc.value.code)
    assert _count(engine, s.alert_rules) == 0 and _count(engine, s.rule_audit) == 0


def test_cli_add_existing_needs_replace(engine, db_url, capsys):
    flags = ["rules", "add", "--id", "x", "--kpi", "dossier.overdue", "--scope", "province:25",
             "--window", "24h", "--op", ">"]
    _cli(db_url, *flags, "--threshold", "1")
    with pytest.raises(SystemExit) as exc:
        _cli(db_url, *flags, "--threshold", "2")
    assert "rule_id: rule 'x' already exists (use --replace" in str(exc.value.code)
    _cli(db_url, *flags, "--threshold", "2", "--replace")
    assert capsys.readouterr().out == "x: create\nx: update\n"
    assert store.get_rule(engine, "x").threshold == 2.0


@pytest.mark.parametrize("who", [None, Identity("leader", "viewer"), Identity("op1", "operator")])
def test_only_an_admin_writes_rules_whatever_the_path(engine, who):
    """The store checks the identity itself: a page, the CLI or an import that forgets to
    check still cannot let a viewer or an operator create, edit, disable or import."""
    store.save_rule(engine, _rule(), admin("a"))
    before = store.audit_trail(engine)
    for write in (lambda: store.save_rule(engine, _rule(rule_id="new-one"), who),
                  lambda: store.save_rule(engine, _rule(threshold=0.5), who),
                  lambda: store.set_enabled(engine, _rule().rule_id, False, who),
                  lambda: store.import_rules(engine, [_rule(threshold=0.4)], who)):
        with pytest.raises(PermissionDenied):
            write()
    assert [r.rule for r in store.list_stored(engine)] == [_rule()]
    assert store.audit_trail(engine) == before

"""Alert rules as data (pure): validation names the field, comparator and hysteresis logic,
YAML round trip."""

from __future__ import annotations

import dataclasses
import math

import pytest

from ioc.alerts.rules import (
    COMPARATORS,
    KINDS,
    SEVERITIES,
    Rule,
    RuleError,
    condition_holds,
    parse_rule,
    resolved,
    rule_to_dict,
    rules_from_yaml,
    rules_to_yaml,
)

BASE = {"rule_id": "on-time.p25", "kpi": "dossier.on_time_rate", "scope": "province:25",
        "window": "24h", "comparator": "<", "threshold": 0.9}


_DROP = object()  # a change that removes the field


def _data(**changes) -> dict:
    return {k: v for k, v in {**BASE, **changes}.items() if v is not _DROP}


def _rule(**changes) -> Rule:
    return parse_rule(_data(**changes))


def _errors(**changes) -> list[str]:
    with pytest.raises(RuleError) as exc:
        parse_rule(_data(**changes))
    assert str(exc.value) == "; ".join(exc.value.errors)
    return exc.value.errors


def test_defaults_and_constants():
    r = _rule()
    assert (r.name, r.kind, r.pending_minutes, r.hysteresis, r.severity, r.targets,
            dict(r.params), r.enabled) == ("on-time.p25", "threshold", 0, 0.0, "warning",
                                           ("banner",), {}, True)
    assert COMPARATORS == (">", ">=", "<", "<=")
    assert SEVERITIES == ("info", "warning", "critical")
    assert KINDS == ("threshold", "burst")
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.threshold = 0.5  # type: ignore[misc]
    assert hash(r) == hash(_rule())


@pytest.mark.parametrize(("changes", "expected"), [
    ({"threshold": "abc"}, "threshold: must be a number, got 'abc'"),
    ({"threshold": True}, "threshold: must be a number, got True"),
    ({"threshold": math.nan}, "threshold: must be a number, got nan"),
    ({"threshold": 1.5}, "threshold: dossier.on_time_rate is a ratio: between 0 and 1, got 1.5"),
    ({"threshold": -0.1}, "threshold: dossier.on_time_rate is a ratio: between 0 and 1, "
                          "got -0.1"),
    ({"kpi": "dossier.overdue", "threshold": -1}, "threshold: dossier.overdue is never negative"),
    ({"threshold": _DROP}, "threshold: required"),
    ({"kpi": "x"}, "kpi: unknown KPI 'x'; known: dossier.received,"),
    ({"kpi": ["dossier.received"]}, "kpi: unknown KPI ['dossier.received']"),
    ({"kpi": _DROP}, "kpi: required"),
    ({"scope": "ward:1"}, "scope: scope must be KIND:CODE"),
    ({"scope": "province:"}, "scope: scope must be KIND:CODE"),
    ({"scope": "province:25,province:26"}, "scope: each KIND may appear once"),
    ({"scope": 25}, "scope: must be KIND:CODE"),
    ({"scope": _DROP}, "scope: required"),
    ({"window": "custom"}, "window: must be one of 1h, today, 24h, 7d, 30d, got 'custom'"),
    ({"window": "month"}, "window: must be one of"),
    ({"comparator": "="}, "comparator: must be one of > >= < <=, got '='"),
    ({"comparator": _DROP}, "comparator: required"),
    ({"severity": "fatal"}, "severity: must be one of info, warning, critical, got 'fatal'"),
    ({"pending_minutes": -1}, "pending_minutes: must be an integer ≥ 0, got -1"),
    ({"pending_minutes": 1.5}, "pending_minutes: must be an integer ≥ 0, got 1.5"),
    ({"pending_minutes": "5"}, "pending_minutes: must be an integer ≥ 0, got '5'"),
    ({"hysteresis": -0.01}, "hysteresis: must be a number ≥ 0"),
    ({"hysteresis": 2}, "hysteresis: dossier.on_time_rate is a ratio: between 0 and 1"),
    ({"targets": []}, "targets: must be a non-empty list"),
    ({"targets": ["sms"]}, "targets[0]: unknown target 'sms'"),
    ({"targets": ["banner", "email:not-an-address"]},
     "targets[1]: invalid e-mail address 'not-an-address'"),
    ({"targets": ["email:a b@x.vn"]}, "targets[0]: invalid e-mail address"),
    ({"targets": ["email:a@localhost"]}, "targets[0]: invalid e-mail address"),
    ({"targets": [3]}, "targets[0]: must be a string, got 3"),
    ({"rule_id": "Bad Id"}, "rule_id: must match [a-z0-9][a-z0-9._-]{0,63}, got 'Bad Id'"),
    ({"rule_id": "-x"}, "rule_id: must match"),
    ({"rule_id": "a" * 65}, "rule_id: must match"),
    ({"rule_id": _DROP}, "rule_id: required"),
    ({"name": ""}, "name: must be a non-empty string"),
    ({"name": "n" * 201}, "name: must be a non-empty string of at most 200 characters"),
    ({"kind": "anomaly"}, "kind: must be one of threshold, burst, got 'anomaly'"),
    ({"enabled": "yes"}, "enabled: must be true or false, got 'yes'"),
    ({"foo": 1}, "foo: unknown field"),
    ({"params": {"factor": 2}}, "params: only for kind 'burst'"),
])
def test_malformed_input_names_the_field(changes, expected):
    errors = _errors(**changes)
    assert len(errors) == 1, errors
    assert errors[0].startswith(expected), errors


def test_all_problems_reported_at_once():
    errors = _errors(threshold="x", severity="loud", foo=1)
    assert [e.split(":")[0] for e in errors] == ["foo", "threshold", "severity"]


def test_not_a_mapping():
    with pytest.raises(RuleError, match="^rule: must be a mapping"):
        parse_rule(["rule_id", "x"])  # type: ignore[arg-type]


def test_valid_variants_are_normalised():
    r = _rule(scope=" commune:08494 , procedure:1.001", pending_minutes=15.0, threshold=1,
              targets=["banner", "email:ops@tayninh.gov.vn", "banner", "webhook"],
              name="  Đúng hạn  ", window="today")
    assert r.scope == "commune:08494,procedure:1.001"
    assert r.pending_minutes == 15 and isinstance(r.pending_minutes, int)
    assert r.threshold == 1.0 and isinstance(r.threshold, float)
    assert r.targets == ("banner", "email:ops@tayninh.gov.vn", "webhook")
    assert r.name == "Đúng hạn"
    assert _rule(targets="webhook").targets == ("webhook",)


def test_burst_rules():
    ok = {"rule_id": "pakn-burst", "kind": "burst", "kpi": "feedback.received",
          "scope": "commune:08494", "window": "24h",
          "params": {"baseline_weeks": 4, "min_count": 10, "factor": 3}}
    r = parse_rule(ok)
    assert (r.comparator, r.threshold, dict(r.params)) == (
        ">", 0.0, {"baseline_weeks": 4, "min_count": 10, "factor": 3.0})

    def errs(**changes) -> list[str]:
        with pytest.raises(RuleError) as exc:
            parse_rule({**ok, **changes})
        return exc.value.errors

    assert errs(params=None) == ["params: kind 'burst' needs a mapping with baseline_weeks, "
                                 "min_count, factor"]
    assert errs(params={"baseline_weeks": 0, "min_count": -1, "factor": 0.5}) == [
        "params.baseline_weeks: must be an integer 1..52",
        "params.min_count: must be an integer ≥ 0",
        "params.factor: must be a number ≥ 1"]
    assert errs(params={"baseline_weeks": 4, "factor": 2, "x": 1}) == [
        "params.x: unknown parameter; known: baseline_weeks, min_count, factor",
        "params.min_count: required for kind 'burst'"]
    assert errs(kpi="dossier.on_time_rate") == [
        "kpi: kind 'burst' needs a count KPI, dossier.on_time_rate is a ratio"]
    assert errs(comparator="<") == ["comparator: kind 'burst' fires on rises: use > or >="]


@pytest.mark.parametrize(("op", "value", "holds"), [
    (">", 10, False), (">", 10.01, True), (">", 9, False),
    (">=", 10, True), (">=", 9.99, False),
    ("<", 10, False), ("<", 9.99, True),
    ("<=", 10, True), ("<=", 10.01, False),
])
def test_condition_holds(op, value, holds):
    r = _rule(kpi="dossier.overdue", comparator=op, threshold=10)
    assert condition_holds(r, value) is holds


def test_condition_without_value_is_unknown():
    r = _rule()
    assert condition_holds(r, None) is None
    assert condition_holds(r, math.nan) is None
    assert resolved(r, None) is False  # no data keeps a firing alert firing


def test_condition_with_computed_limit():
    r = _rule(kind="burst", kpi="feedback.received", comparator=">", threshold=_DROP,
              params={"baseline_weeks": 4, "min_count": 5, "factor": 2})
    assert condition_holds(r, 30, limit=24) is True
    assert condition_holds(r, 24, limit=24) is False


@pytest.mark.parametrize(("op", "value", "is_resolved"), [
    # '>' 100 with hysteresis 5: fires above 100, resolves only at ≤ 95
    (">", 101, False), (">", 100, False), (">", 96, False), (">", 95, True), (">", 90, True),
    (">=", 95.5, False), (">=", 95, False), (">=", 94.9, True),
    # '<' 100 with hysteresis 5: fires below 100, resolves only at ≥ 105
    ("<", 99, False), ("<", 100, False), ("<", 104, False), ("<", 105, True),
    ("<=", 105, False), ("<=", 105.1, True),
])
def test_resolved_applies_hysteresis(op, value, is_resolved):
    r = _rule(kpi="dossier.overdue", comparator=op, threshold=100, hysteresis=5)
    assert resolved(r, value) is is_resolved


@pytest.mark.parametrize("op", COMPARATORS)
def test_without_hysteresis_resolved_is_not_holds(op):
    r = _rule(kpi="dossier.overdue", comparator=op, threshold=10)
    for v in (9, 9.5, 10, 10.5, 11):
        assert resolved(r, v) is (not condition_holds(r, v))


def test_ratio_hysteresis():
    r = _rule(comparator="<", threshold=0.9, hysteresis=0.02)  # on-time rate below 90 %
    assert condition_holds(r, 0.89) is True
    assert resolved(r, 0.91) is False  # back above 90 % but not by the margin
    assert resolved(r, 0.92) is True


def test_yaml_round_trip():
    rules = [
        _rule(rule_id="z-last", severity="critical", targets=["email:a@b.vn", "webhook"],
              pending_minutes=30, hysteresis=0.02, name="Tỷ lệ đúng hạn < 90 %"),
        _rule(rule_id="a-first", kpi="feedback.overdue_open", comparator=">=", threshold=5,
              scope="commune:08494,agency:UBND-08494", window="7d", enabled=False),
        parse_rule({"rule_id": "burst", "kind": "burst", "kpi": "social.posts",
                    "scope": "province:25", "window": "today",
                    "params": {"baseline_weeks": 2, "min_count": 3, "factor": 2.5}}),
    ]
    text = rules_to_yaml(rules)
    assert "Tỷ lệ đúng hạn" in text  # readable Vietnamese, not \u escapes
    assert "params" not in text.split("rule_id: burst")[0]  # only burst rules carry params
    back = rules_from_yaml(text)
    assert back == sorted(rules, key=lambda r: r.rule_id)
    assert [rule_to_dict(r) for r in back] == [rule_to_dict(r) for r in
                                               sorted(rules, key=lambda r: r.rule_id)]
    assert rules_from_yaml("rules: []\n") == [] and rules_from_yaml("") == []


def test_yaml_bare_list_is_accepted():
    text = "- {rule_id: x, kpi: dossier.overdue, scope: 'province:25', window: 24h, " \
           "comparator: '>', threshold: 3}\n"
    assert [r.rule_id for r in rules_from_yaml(text)] == ["x"]


def test_yaml_errors_name_rule_and_field():
    text = """
rules:
  - {rule_id: ok, kpi: dossier.overdue, scope: 'province:25', window: 24h, comparator: '>',
     threshold: 3}
  - {rule_id: bad, kpi: dossier.overdue, scope: 'province:25', window: 24h, comparator: '>',
     threshold: lots}
  - {kpi: dossier.overdue, scope: 'province:25', window: 2y, comparator: '>', threshold: 1}
  - {rule_id: ok, kpi: dossier.overdue, scope: 'province:25', window: 24h, comparator: '>',
     threshold: 4}
"""
    with pytest.raises(RuleError) as exc:
        rules_from_yaml(text)
    assert exc.value.errors == [
        "rule 2 (bad): threshold: must be a number, got 'lots'",
        "rule 3: rule_id: required",
        "rule 3: window: must be one of 1h, today, 24h, 7d, 30d, got '2y'",
        "rule 4 (ok): rule_id: duplicate of rule 1",
    ]


@pytest.mark.parametrize(("text", "expected"), [
    ("rules: [unclosed", "yaml: "),
    ("rules: {a: 1}", "rules: must be a list of rules"),
    ("other: []", "other: unknown top-level key"),
    ("rules:\n  - just-a-string\n", "rule 1: rule: must be a mapping"),
])
def test_yaml_malformed_documents(text, expected):
    with pytest.raises(RuleError) as exc:
        rules_from_yaml(text)
    assert str(exc.value).startswith(expected)


def test_targets_outside_a_rule_name_the_bad_entry() -> None:
    from ioc.alerts.rules import parse_targets

    assert parse_targets(["webhook", "email:ops@tinh.gov.vn"]) == ("webhook",
                                                                   "email:ops@tinh.gov.vn")
    assert parse_targets([]) == ("banner",)
    with pytest.raises(RuleError, match=r"targets\[1\]: unknown target 'webhok'"):
        parse_targets(["banner", "webhok"])

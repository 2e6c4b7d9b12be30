"""Alert rules as data (pure; no I/O): validation, condition and hysteresis logic, YAML.

A rule watches one KPI of the catalogue in one scope and window, and fires when
``value <comparator> threshold`` has held for `pending_minutes`. It resolves only once the
value has moved `hysteresis` past the threshold the other way, so a value hovering at the
threshold does not flap between firing and resolved.

Kinds:
- ``threshold``: the value is compared with `threshold`.
- ``burst``: a count KPI compared with its own history. `params` holds ``baseline_weeks``
  (weeks of the same window to average, 1..52), ``min_count`` (never fire below this count)
  and ``factor`` (fire when the value exceeds factor × baseline, ≥ 1). The evaluator passes
  that computed bar as `limit` to `condition_holds`; `threshold` stays a floor (default 0).

Every validation message starts with the field it is about ("threshold: must be a number"),
so an operator can fix the input without reading code.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from typing_extensions import TypeIs

from ioc.kpis.catalogue import BY_CODE, parse_scope

COMPARATORS: tuple[str, ...] = (">", ">=", "<", "<=")
SEVERITIES: tuple[str, ...] = ("info", "warning", "critical")
KINDS: tuple[str, ...] = ("threshold", "burst")
# Trailing windows only: a rule is evaluated continuously, "custom" has no meaning there.
RULE_WINDOWS: tuple[str, ...] = ("1h", "today", "24h", "7d", "30d")
BURST_PARAMS: tuple[str, ...] = ("baseline_weeks", "min_count", "factor")

RULE_ID_RE = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}")
# Shape only (one @, a dot in the domain, no spaces): delivery is the real check.
EMAIL_RE = re.compile(r"[^@\s,;]+@[^@\s,;]+\.[^@\s,;.]+")
FIELDS: tuple[str, ...] = ("rule_id", "name", "kind", "kpi", "scope", "window", "comparator",
                           "threshold", "pending_minutes", "hysteresis", "severity", "targets",
                           "params", "enabled")
REQUIRED: tuple[str, ...] = ("rule_id", "kpi", "scope", "window")
MAX_NAME = 200  # column sizes of alert_rules
MAX_SCOPE = 200


class RuleError(ValueError):
    """Malformed rule input; `errors` lists one "field: problem" message per problem."""

    def __init__(self, errors: Sequence[str]) -> None:
        self.errors = list(errors)
        super().__init__("; ".join(self.errors))


@dataclass(frozen=True)
class Rule:
    """One validated alert rule. Build it with `parse_rule` so the invariants hold."""

    rule_id: str
    name: str
    kpi: str
    scope: str
    window: str
    comparator: str
    threshold: float
    kind: str = "threshold"
    pending_minutes: int = 0
    hysteresis: float = 0.0
    severity: str = "warning"
    targets: tuple[str, ...] = ("banner",)
    # Read-only mapping; left out of the hash because mappings are not hashable.
    params: Mapping[str, float] = field(default_factory=lambda: MappingProxyType({}),
                                        hash=False)
    enabled: bool = True


def _is_number(v: Any) -> TypeIs[int | float]:
    # bool is an int subclass, but `threshold: true` is a typo, not 1.
    return isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v)


def _is_int(v: Any) -> TypeIs[int | float]:
    if isinstance(v, bool):
        return False
    return isinstance(v, int) or (isinstance(v, float) and v.is_integer())


def _scope(value: Any, errors: list[str]) -> str | None:
    if not isinstance(value, str) or not value.strip():
        errors.append("scope: must be KIND:CODE[,KIND:CODE…], e.g. 'province:25'")
        return None
    parts = [p.strip() for p in value.split(",")]
    canonical = ",".join(parts)
    try:
        parsed = parse_scope(canonical)
    except ValueError as exc:
        errors.append(f"scope: {exc}")
        return None
    if len(parsed) != len(parts):
        errors.append(f"scope: each KIND may appear once, got {value!r}")
        return None
    if len(canonical) > MAX_SCOPE:
        errors.append(f"scope: at most {MAX_SCOPE} characters")
        return None
    return canonical


def _targets(value: Any, errors: list[str]) -> tuple[str, ...] | None:
    if isinstance(value, str):
        value = [value]  # one target written without a list is unambiguous
    if not isinstance(value, list | tuple) or not value:
        errors.append("targets: must be a non-empty list of 'banner', 'webhook' or "
                      "'email:ADDRESS'")
        return None
    out: list[str] = []
    for i, t in enumerate(value):
        if not isinstance(t, str):
            errors.append(f"targets[{i}]: must be a string, got {t!r}")
            continue
        t = t.strip()
        if t.startswith("email:"):
            if not EMAIL_RE.fullmatch(t[len("email:"):]):
                errors.append(f"targets[{i}]: invalid e-mail address {t[len('email:'):]!r}")
                continue
        elif t not in ("banner", "webhook"):
            errors.append(f"targets[{i}]: unknown target {t!r}; use 'banner', 'webhook' or "
                          "'email:ADDRESS'")
            continue
        if t not in out:  # a duplicate would notify twice
            out.append(t)
    return tuple(out)


def parse_targets(value: Sequence[str]) -> tuple[str, ...]:
    """Notification targets written outside a rule (e.g. IOC_REMINDER_TARGETS); RuleError
    names the bad entry."""
    errors: list[str] = []
    out = _targets(list(value) or ["banner"], errors)
    if errors or out is None:
        raise RuleError(errors)
    return out


def _params(kind: str | None, value: Any, errors: list[str]) -> Mapping[str, float] | None:
    if kind != "burst":
        if value not in (None, {}):
            errors.append("params: only for kind 'burst'")
            return None
        return MappingProxyType({})
    if not isinstance(value, Mapping):
        errors.append("params: kind 'burst' needs a mapping with "
                      f"{', '.join(BURST_PARAMS)}")
        return None
    ok = True
    for key in value:
        if key not in BURST_PARAMS:
            errors.append(f"params.{key}: unknown parameter; known: {', '.join(BURST_PARAMS)}")
            ok = False
    for key in BURST_PARAMS:
        if key not in value:
            errors.append(f"params.{key}: required for kind 'burst'")
            ok = False
    out: dict[str, float] = {}
    weeks, min_count, factor = (value.get(k) for k in BURST_PARAMS)
    if "baseline_weeks" in value:
        if not _is_int(weeks) or not 1 <= weeks <= 52:
            errors.append("params.baseline_weeks: must be an integer 1..52")
            ok = False
        else:
            out["baseline_weeks"] = int(weeks)
    if "min_count" in value:
        if not _is_int(min_count) or min_count < 0:
            errors.append("params.min_count: must be an integer ≥ 0")
            ok = False
        else:
            out["min_count"] = int(min_count)
    if "factor" in value:
        if not _is_number(factor) or factor < 1:
            errors.append("params.factor: must be a number ≥ 1")
            ok = False
        else:
            out["factor"] = float(factor)
    return MappingProxyType(out) if ok else None


def parse_rule(data: Mapping[str, Any]) -> Rule:
    """Validate one rule given as a mapping (YAML, CLI, UI form); raise RuleError naming
    every bad field at once, so one round of fixes is enough."""
    if not isinstance(data, Mapping):
        raise RuleError([f"rule: must be a mapping of fields, got {type(data).__name__}"])
    errors: list[str] = []
    for key in data:
        if key not in FIELDS:
            errors.append(f"{key}: unknown field")
    for key in REQUIRED:
        if data.get(key) is None:
            errors.append(f"{key}: required")

    rule_id = data.get("rule_id")
    if rule_id is not None and (not isinstance(rule_id, str) or not RULE_ID_RE.fullmatch(rule_id)):
        errors.append(f"rule_id: must match [a-z0-9][a-z0-9._-]{{0,63}}, got {rule_id!r}")

    name = data.get("name")
    if name is None:
        name = rule_id if isinstance(rule_id, str) else ""
    elif not isinstance(name, str) or not name.strip() or len(name) > MAX_NAME:
        errors.append(f"name: must be a non-empty string of at most {MAX_NAME} characters")
    name = name.strip() if isinstance(name, str) else name

    kind = data.get("kind", "threshold")
    if kind not in KINDS:
        errors.append(f"kind: must be one of {', '.join(KINDS)}, got {kind!r}")
        kind = None

    kpi_code = data.get("kpi")
    kpi = None
    if kpi_code is not None:
        kpi = BY_CODE.get(kpi_code) if isinstance(kpi_code, str) else None
        if kpi is None:
            errors.append(f"kpi: unknown KPI {kpi_code!r}; known: {', '.join(BY_CODE)}")
        elif kpi.per_group is not None:  # no headline value to compare
            errors.append(f"kpi: {kpi_code} has values per {kpi.per_group} only; watch "
                          "social.posts with a topic or commune scope instead (e.g. "
                          "'province:25,topic:giao thông', 'commune:08494')")
        elif kind == "burst" and kpi.unit != "count":
            errors.append(f"kpi: kind 'burst' needs a count KPI, {kpi_code} is a {kpi.unit}")

    scope = _scope(data["scope"], errors) if data.get("scope") is not None else None

    window = data.get("window")
    if window is not None and window not in RULE_WINDOWS:
        errors.append(f"window: must be one of {', '.join(RULE_WINDOWS)}, got {window!r}")

    comparator = data.get("comparator", ">" if kind == "burst" else None)
    if comparator is None:
        errors.append("comparator: required")
    elif comparator not in COMPARATORS:
        errors.append(f"comparator: must be one of {' '.join(COMPARATORS)}, got {comparator!r}")
    elif kind == "burst" and comparator not in (">", ">="):
        errors.append("comparator: kind 'burst' fires on rises: use > or >=")

    threshold = data.get("threshold", 0.0 if kind == "burst" else None)
    if threshold is None:
        errors.append("threshold: required")
    elif not _is_number(threshold):
        errors.append(f"threshold: must be a number, got {threshold!r}")
        threshold = None
    elif kpi is not None and kpi.unit == "ratio" and not 0 <= threshold <= 1:
        errors.append(f"threshold: {kpi.code} is a ratio: between 0 and 1, got {threshold}")
    elif kpi is not None and kpi.unit == "index" and not -1 <= threshold <= 1:
        errors.append(f"threshold: {kpi.code} is an index: between -1 and 1, got {threshold}")
    elif kpi is not None and kpi.unit != "index" and threshold < 0:
        errors.append(f"threshold: {kpi.code} is never negative, got {threshold}")

    pending = data.get("pending_minutes", 0)
    if not _is_int(pending) or pending < 0:
        errors.append(f"pending_minutes: must be an integer ≥ 0, got {pending!r}")

    hysteresis = data.get("hysteresis", 0.0)
    if not _is_number(hysteresis) or hysteresis < 0:
        errors.append(f"hysteresis: must be a number ≥ 0, got {hysteresis!r}")
    elif kpi is not None and kpi.unit in ("ratio", "index") and hysteresis > 1:
        errors.append(f"hysteresis: {kpi.code} is a ratio: between 0 and 1, got {hysteresis}")

    severity = data.get("severity", "warning")
    if severity not in SEVERITIES:
        errors.append(f"severity: must be one of {', '.join(SEVERITIES)}, got {severity!r}")

    targets = _targets(data.get("targets", ["banner"]), errors)
    params = _params(kind, data.get("params"), errors)

    enabled = data.get("enabled", True)
    if not isinstance(enabled, bool):
        errors.append(f"enabled: must be true or false, got {enabled!r}")

    if errors:
        raise RuleError(errors)
    # No errors: every required field was present and valid (the checks above say so).
    assert rule_id is not None and kpi_code is not None and scope is not None
    assert window is not None and targets is not None and params is not None
    return Rule(rule_id=rule_id, name=name, kind=kind, kpi=kpi_code, scope=scope,
                window=window, comparator=comparator, threshold=float(threshold),
                pending_minutes=int(pending), hysteresis=float(hysteresis), severity=severity,
                targets=targets, params=params, enabled=enabled)


def rule_to_dict(rule: Rule) -> dict[str, Any]:
    """Plain fields in a stable order (YAML export, audit JSON); `parse_rule` reads it back.
    `params` is left out when empty, so threshold rules stay short in YAML."""
    out: dict[str, Any] = {
        "rule_id": rule.rule_id, "name": rule.name, "kind": rule.kind, "kpi": rule.kpi,
        "scope": rule.scope, "window": rule.window, "comparator": rule.comparator,
        "threshold": rule.threshold, "pending_minutes": rule.pending_minutes,
        "hysteresis": rule.hysteresis, "severity": rule.severity,
        "targets": list(rule.targets),
    }
    if rule.params:
        out["params"] = dict(rule.params)
    out["enabled"] = rule.enabled
    return out


def _missing(value: float | None) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


def condition_holds(rule: Rule, value: float | None, limit: float | None = None) -> bool | None:
    """Whether ``value <comparator> limit`` (limit defaults to the rule's threshold; a burst
    evaluator passes its computed bar). None when there is no value: no data is not "ok"."""
    if value is None or _missing(value):
        return None
    bar = rule.threshold if limit is None else limit
    return {">": value > bar, ">=": value >= bar, "<": value < bar,
            "<=": value <= bar}[rule.comparator]


def resolved(rule: Rule, value: float | None, limit: float | None = None) -> bool:
    """Whether a firing alert may resolve: the condition no longer holds even against the
    threshold moved by the hysteresis towards the safe side. For '>' the value must be at or
    below threshold − hysteresis (strictly below for '>='); for '<' at or above
    threshold + hysteresis (strictly above for '<='). With hysteresis 0 this is exactly
    "condition does not hold". No value never resolves (the alert keeps its state)."""
    if _missing(value):
        return False
    bar = rule.threshold if limit is None else limit
    shifted = bar - rule.hysteresis if rule.comparator in (">", ">=") else bar + rule.hysteresis
    return not condition_holds(rule, value, limit=shifted)


# ------------------------------------------------------------------------------ YAML

def rules_to_yaml(rules: Sequence[Rule]) -> str:
    import yaml

    doc = {"rules": [rule_to_dict(r) for r in sorted(rules, key=lambda r: r.rule_id)]}
    return yaml.safe_dump(doc, sort_keys=False, allow_unicode=True, default_flow_style=False)


def rules_from_yaml(text: str) -> list[Rule]:
    """Parse ``rules: [...]`` (or a bare list) into rules; every error names the rule's
    position (1-based) and id, then the field. All rules are checked before raising."""
    import yaml

    try:
        doc = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise RuleError([f"yaml: {exc}"]) from None
    if isinstance(doc, Mapping):
        extra = [k for k in doc if k != "rules"]
        if extra:
            raise RuleError([f"{k}: unknown top-level key (expected 'rules')" for k in extra])
        doc = doc.get("rules")
    if doc is None:
        return []
    if not isinstance(doc, list):
        raise RuleError(["rules: must be a list of rules"])
    out: list[Rule] = []
    errors: list[str] = []
    seen: dict[str, int] = {}
    for i, item in enumerate(doc, start=1):
        rid = item.get("rule_id") if isinstance(item, Mapping) else None
        where = f"rule {i}" + (f" ({rid})" if isinstance(rid, str) else "")
        try:
            rule = parse_rule(item)
        except RuleError as exc:
            errors.extend(f"{where}: {e}" for e in exc.errors)
            continue
        if rule.rule_id in seen:
            errors.append(f"{where}: rule_id: duplicate of rule {seen[rule.rule_id]}")
            continue
        seen[rule.rule_id] = i
        out.append(rule)
    if errors:
        raise RuleError(errors)
    return out

"""The Thresholds form as data (pure: no Streamlit, no database): the values its widgets
hold, how they turn into a rule (`ioc.alerts.rules.parse_rule` names the bad fields), and how
a stored rule fills the form again.

Ratios are typed in % (95 means 0.95) with a comma or a point as decimal mark; anything that
is not a number is handed to parse_rule as typed, so its message names the field
("threshold: must be a number, got 'abc'").
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from ioc.alerts.rules import Rule, parse_rule
from ioc.i18n import bilingual
from ioc.kpis.catalogue import BY_CODE, parse_scope
from ioc.ui.dossiers.filters import scope_of

# What a new burst rule starts with (ioc.alerts.rules documents the parameters).
BURST_DEFAULTS: dict[str, float] = {"baseline_weeks": 4, "min_count": 5, "factor": 3.0}
_NUMBER_RE = re.compile(r"-?\d+(\.\d+)?")
# Scope kinds of ioc.kpis.catalogue.parse_scope → the form's fields.
_SCOPE_FIELDS = {"ward_code": "commune", "agency_code": "agency", "procedure_code": "procedure"}


@dataclass(frozen=True)
class FormValues:
    """The form's widgets as Streamlit returns them: text as typed, numbers as numbers."""

    rule_id: str | None
    name: str | None
    kind: str
    kpi: str
    commune: str | None
    agency: str | None
    procedure: str | None
    window: str
    comparator: str
    threshold: str | None
    pending_minutes: float
    hysteresis: str | None
    severity: str
    channels: Sequence[str] = ()
    emails: str | None = ""
    enabled: bool = True
    baseline_weeks: float = BURST_DEFAULTS["baseline_weeks"]
    min_count: float = BURST_DEFAULTS["min_count"]
    factor: float = BURST_DEFAULTS["factor"]


def is_ratio(kpi: str) -> bool:
    return BY_CODE[kpi].unit == "ratio"


def number(text: str | None, ratio: bool) -> Any:
    """'95,5' / '95.5 %' → 95.5 (÷100 for a ratio KPI); '' → None; anything else as typed."""
    raw = (text or "").strip().replace("%", "").replace(" ", "").replace(",", ".")
    if not _NUMBER_RE.fullmatch(raw):
        return text.strip() if text and text.strip() else None
    value = float(raw)
    return value / 100 if ratio else value


def shown_number(value: float, kpi: str) -> str:
    """A stored value as the form shows it: ratios in %, Vietnamese decimal comma."""
    v = value * 100 if BY_CODE.get(kpi) and BY_CODE[kpi].unit == "ratio" else value
    return f"{v:g}".replace(".", ",")


def scope_parts(scope: str) -> dict[str, str]:
    """'province:25,commune:04792' → {'commune': '04792'}; {} for a scope that does not parse."""
    try:
        cols = parse_scope(scope)
    except ValueError:
        return {}
    return {_SCOPE_FIELDS[c]: v for c, v in cols.items() if c in _SCOPE_FIELDS}


def email_text(targets: Sequence[str]) -> str:
    """The e-mail targets of a rule as the form's comma-separated field."""
    return ", ".join(t.split(":", 1)[1] for t in targets if t.startswith("email:"))


def burst_params(rule: Rule) -> dict[str, float]:
    """The rule's burst parameters, the defaults for those it has not (a threshold rule)."""
    return {**BURST_DEFAULTS, **dict(rule.params)}


def new_rule(province_code: str) -> Rule:
    """What the form shows for a new rule: on-time rate of the province below 90 % over 24 h."""
    return Rule(rule_id="", name="", kpi="dossier.on_time_rate",
                scope=f"province:{province_code}", window="24h", comparator="<",
                threshold=0.9)


def rule_data(values: FormValues, province_code: str, rule_id: str | None = None
              ) -> dict[str, Any]:
    """The mapping parse_rule validates. `rule_id` is the stored rule's id when editing: the
    id field is disabled then, and the rule keeps its id whatever the widget sends."""
    ratio = is_ratio(values.kpi)
    emails = (e.strip() for e in (values.emails or "").split(","))
    data: dict[str, Any] = {
        "rule_id": (values.rule_id or "").strip(), "name": (values.name or "").strip(),
        "kpi": values.kpi,
        "scope": scope_of(province_code, values.commune or "", (values.agency or "").strip(),
                          (values.procedure or "").strip()),
        "window": values.window, "comparator": values.comparator,
        "threshold": number(values.threshold, ratio),
        "pending_minutes": int(values.pending_minutes),
        "hysteresis": number(values.hysteresis, ratio) or 0.0,
        "severity": values.severity,
        "targets": [*values.channels, *(f"email:{e}" for e in emails if e)],
        "enabled": bool(values.enabled), "kind": values.kind}
    if values.kind == "burst":
        data["params"] = {"baseline_weeks": int(values.baseline_weeks),
                          "min_count": int(values.min_count), "factor": float(values.factor)}
    if rule_id is not None:
        data["rule_id"] = rule_id
    return data


def parse_form(values: FormValues, province_code: str, rule_id: str | None = None) -> Rule:
    """The rule the form describes; raises ioc.alerts.rules.RuleError naming every bad field."""
    return parse_rule(rule_data(values, province_code, rule_id))


def errors_text(errors: Sequence[str], ratio: bool) -> str:
    """The refusal shown under the form: one line per bad field, and for a ratio KPI the
    reminder that it is typed in %."""
    text = (bilingual("Quy tắc chưa hợp lệ", "The rule is not valid") + ":\n\n"
            + "\n".join(f"- {e}" for e in errors))
    if ratio:
        text += "\n\n" + bilingual("Ngưỡng tỷ lệ nhập theo % (0–100).",
                                   "Ratio thresholds are entered in % (0–100).")
    return text

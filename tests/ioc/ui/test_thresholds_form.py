"""The Thresholds form as data (ioc.ui.thresholds.form): widget values → rule, or errors that
name the field; a stored rule → what the form shows. Pure: no Streamlit run, no database."""

from __future__ import annotations

import subprocess
import sys
from dataclasses import replace

import pytest

from ioc.alerts.rules import Rule, RuleError, parse_rule
from ioc.ui.thresholds.form import (
    BURST_DEFAULTS,
    FormValues,
    burst_params,
    email_text,
    errors_text,
    new_rule,
    number,
    parse_form,
    rule_data,
    scope_parts,
    shown_number,
)
from tests import REPO_ROOT

PROVINCE = "25"
WARD = "04792"
# What the form sends for a new rule when only the id, the name and the threshold are typed.
FILLED = FormValues(rule_id=" ontime-province ", name=" Đúng hạn toàn tỉnh ", kind="threshold",
                    kpi="dossier.on_time_rate", commune="", agency="", procedure="",
                    window="24h", comparator="<", threshold="90", pending_minutes=0,
                    hysteresis="0", severity="warning", channels=["banner"], emails="",
                    enabled=True)


def test_the_module_is_pure() -> None:
    # Importable by tests and tools without Streamlit or a database layer, even indirectly.
    probe = ("import sys, ioc.ui.thresholds.form; "
             "print(sorted({m.split('.')[0] for m in sys.modules} & {'streamlit', 'sqlalchemy'}))")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=REPO_ROOT)
    assert out.stdout.strip() == "[]"


@pytest.mark.parametrize(("text", "ratio", "expected"), [
    ("95", True, 0.95), ("95,5", True, 0.955), ("95.5 %", True, 0.955), (" 12 ", False, 12.0),
    ("1 000", False, 1000.0), ("-3", False, -3.0), ("0", True, 0.0),
])
def test_numbers_are_read_with_comma_or_point_and_ratios_in_percent(
        text: str, ratio: bool, expected: float) -> None:
    assert number(text, ratio) == pytest.approx(expected)


def test_what_is_not_a_number_is_handed_on_as_typed() -> None:
    assert number("chín mươi ", True) == "chín mươi"
    assert number("1e3", False) == "1e3"
    assert number("", True) is None and number("  ", False) is None and number(None, True) is None


def test_stored_values_are_shown_as_they_are_typed() -> None:
    assert shown_number(0.955, "dossier.on_time_rate") == "95,5"
    assert shown_number(0.9, "dossier.on_time_rate") == "90"
    assert shown_number(12.0, "feedback.received") == "12"
    assert shown_number(2.5, "feedback.received") == "2,5"


def test_scope_parts_fill_the_commune_agency_and_procedure_fields() -> None:
    assert scope_parts(f"province:25,commune:{WARD},agency:UB-1,procedure:1.001") == {
        "commune": WARD, "agency": "UB-1", "procedure": "1.001"}
    assert scope_parts("province:25") == {}
    assert scope_parts("nonsense") == {}


def test_a_new_rule_from_the_form() -> None:
    rule = parse_form(FILLED, PROVINCE)
    assert rule == Rule(rule_id="ontime-province", name="Đúng hạn toàn tỉnh",
                        kpi="dossier.on_time_rate", scope="province:25", window="24h",
                        comparator="<", threshold=0.9, targets=("banner",))
    assert dict(rule.params) == {}


def test_scope_hysteresis_and_targets_are_assembled() -> None:
    values = replace(FILLED, commune=WARD, agency=" UB-1 ", procedure=" 1.001 ",
                     hysteresis="2,5", pending_minutes=15.0, severity="critical",
                     channels=["banner", "webhook"], emails=" a@ubnd.vn , ,b@ubnd.vn",
                     enabled=False)
    rule = parse_form(values, PROVINCE)
    assert rule.scope == f"province:25,commune:{WARD},agency:UB-1,procedure:1.001"
    assert rule.hysteresis == pytest.approx(0.025) and rule.pending_minutes == 15
    assert rule.targets == ("banner", "webhook", "email:a@ubnd.vn", "email:b@ubnd.vn")
    assert (rule.severity, rule.enabled) == ("critical", False)
    assert rule_data(replace(FILLED, hysteresis=""), PROVINCE)["hysteresis"] == 0.0


def test_a_burst_rule_carries_its_parameters_and_a_threshold_rule_none() -> None:
    burst = replace(FILLED, kind="burst", kpi="feedback.received", window="1h",
                    comparator=">", threshold="0", baseline_weeks=2, min_count=3, factor=2.5)
    rule = parse_form(burst, PROVINCE)
    assert (rule.kind, rule.threshold) == ("burst", 0.0)
    assert dict(rule.params) == {"baseline_weeks": 2, "min_count": 3, "factor": 2.5}
    assert "params" not in rule_data(replace(burst, kind="threshold"), PROVINCE)


def test_editing_keeps_the_stored_id_whatever_the_widget_sends() -> None:
    rule = parse_form(replace(FILLED, rule_id="typed-over"), PROVINCE, "ontime-tanhoa")
    assert rule.rule_id == "ontime-tanhoa"


@pytest.mark.parametrize(("values", "message"), [
    (replace(FILLED, threshold="chín mươi"), "threshold: must be a number, got 'chín mươi'"),
    (replace(FILLED, threshold="150"), "threshold: dossier.on_time_rate is a ratio"),
    (replace(FILLED, threshold=""), "threshold: required"),
    (replace(FILLED, rule_id="Có Dấu"), "rule_id: must match"),
    (replace(FILLED, hysteresis="abc"), "hysteresis: must be a number ≥ 0, got 'abc'"),
    (replace(FILLED, emails="not-an-address"), "targets[1]: invalid e-mail address"),
    (replace(FILLED, kind="burst"), "kpi: kind 'burst' needs a count KPI"),
])
def test_bad_input_is_refused_naming_the_field(values: FormValues, message: str) -> None:
    with pytest.raises(RuleError) as caught:
        parse_form(values, PROVINCE)
    assert any(e.startswith(message) for e in caught.value.errors), caught.value.errors


def test_every_bad_field_is_named_at_once() -> None:
    with pytest.raises(RuleError) as caught:
        parse_form(replace(FILLED, rule_id="", threshold="x", severity="loud"), PROVINCE)
    fields = sorted(e.split(":")[0] for e in caught.value.errors)
    assert fields == ["rule_id", "severity", "threshold"]


def test_the_error_text_lists_the_fields_and_reminds_ratios_are_in_percent() -> None:
    ratio = errors_text(["threshold: required", "name: too long"], ratio=True)
    assert "\n- threshold: required\n- name: too long" in ratio
    assert ratio.startswith("Quy tắc chưa hợp lệ") and ratio.endswith("(0–100).")
    count = errors_text(["threshold: required"], ratio=False)
    assert count.endswith("- threshold: required") and "%" not in count


def test_a_stored_rule_fills_the_form_back() -> None:
    stored = parse_rule({"rule_id": "x", "kpi": "feedback.received", "scope": "province:25",
                         "window": "1h", "comparator": ">", "threshold": 0, "kind": "burst",
                         "params": {"baseline_weeks": 2, "min_count": 5, "factor": 4.0},
                         "targets": ["banner", "email:a@ubnd.vn", "email:b@ubnd.vn"]})
    assert email_text(stored.targets) == "a@ubnd.vn, b@ubnd.vn"
    assert burst_params(stored) == {"baseline_weeks": 2, "min_count": 5, "factor": 4.0}
    assert burst_params(new_rule(PROVINCE)) == BURST_DEFAULTS  # a threshold rule: defaults
    assert new_rule(PROVINCE).scope == "province:25"
    # Round trip: the form's own text of a rule parses back to the same rule.
    base = parse_rule({"rule_id": "r", "kpi": "dossier.on_time_rate", "scope": "province:25",
                       "window": "7d", "comparator": "<=", "threshold": 0.955,
                       "hysteresis": 0.02})
    again = replace(FILLED, rule_id=base.rule_id, name=base.name, window=base.window,
                    comparator=base.comparator, threshold=shown_number(base.threshold, base.kpi),
                    hysteresis=shown_number(base.hysteresis, base.kpi))
    assert parse_form(again, PROVINCE) == base

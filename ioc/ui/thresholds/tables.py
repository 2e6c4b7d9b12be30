"""Tables of the Thresholds page (pure): the stored rules and one rule's audit trail."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import polars as pl

from ioc.alerts.rule_store import AuditEntry, StoredRule, changed_fields
from ioc.alerts.text import fmt_kpi, kpi_label, local_time, scope_text, severity_label, window_text
from ioc.i18n import bilingual
from ioc.ui.thresholds.labels import AUDIT_ACTIONS

STAMP = "%d/%m/%Y %H:%M"


def rules_frame(stored: Sequence[StoredRule], names: Mapping[str, str]) -> pl.DataFrame:
    rows = [{"Mã · Id": sr.rule.rule_id, "Tên · Name": sr.rule.name,
             "Chỉ số · KPI": kpi_label(sr.rule.kpi),
             "Phạm vi · Scope": scope_text(sr.rule.scope, names),
             "Khoảng · Window": window_text(sr.rule.window),
             "Điều kiện · Condition": f"{sr.rule.comparator} "
                                      f"{fmt_kpi(sr.rule.threshold, sr.rule.kpi)}",
             "Mức độ · Severity": severity_label(sr.rule.severity),
             "Bật · Enabled": sr.rule.enabled, "Phiên bản · Version": sr.version,
             "Sửa lúc · Updated": local_time(sr.updated_at, STAMP),
             "Người sửa · By": sr.updated_by} for sr in stored]
    return pl.DataFrame(rows)


def audit_rows(trail: Sequence[AuditEntry]) -> list[dict[str, Any]]:
    """Newest change first, each with the fields it changed (before → after)."""
    return [{"Thời điểm · At": local_time(e.at, STAMP),
             "Thao tác · Action": bilingual(*AUDIT_ACTIONS.get(e.action, (e.action, ""))),
             "Người · Actor": e.actor,
             "Thay đổi · Changes": "; ".join(f"{k}: {b!r} → {a!r}" for k, (b, a)
                                             in changed_fields(e).items())}
            for e in reversed(trail)]

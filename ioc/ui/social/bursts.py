"""Bursts now: the firing (or acknowledged, still open) alerts on social indicators, from the
alerts store the evaluator writes (the same episodes the banner and the Alerts page show)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import polars as pl

from ioc.alerts.text import alert_message, local_time, severity_label, state_label

SCHEMA = {"severity": pl.String, "rule_name": pl.String, "message": pl.String,
          "fired_at": pl.String, "state": pl.String, "rule_id": pl.String}


def social_alerts(firing: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in firing if str(r.get("kpi", "")).startswith("social.")]


def bursts_frame(firing: list[dict[str, Any]], rule_names: Mapping[str, str],
                 names: Mapping[str, str]) -> pl.DataFrame:
    rows = [{"severity": severity_label(r["severity"]),
             "rule_name": rule_names.get(r["rule_id"], r["rule_id"]),
             "message": alert_message(r, names), "fired_at": local_time(r.get("fired_at")),
             "state": state_label(r["state"]), "rule_id": r["rule_id"]}
            for r in social_alerts(firing)]
    return pl.DataFrame(rows, schema=SCHEMA)

"""Targets per KPI: catalogue defaults (seed figures), overridden by rows ops staff set."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Engine, select

from ioc.db import schema as s
from ioc.db.upsert import upsert
from ioc.kpis.catalogue import BY_CODE


def load_targets(engine: Engine) -> dict[str, float | None]:
    out = {code: k.target for code, k in BY_CODE.items()}
    with engine.connect() as conn:
        for code, target in conn.execute(select(s.kpi_targets.c.code, s.kpi_targets.c.target)):
            if code in out:
                out[code] = target
    return out


def set_target(engine: Engine, code: str, target: float | None, by: str) -> None:
    """Set (or clear with None) the target of one KPI; ratios are 0..1."""
    kpi = BY_CODE.get(code)
    if kpi is None:
        raise ValueError(f"unknown KPI {code!r}")
    if target is not None:
        if kpi.unit == "ratio" and not 0 <= target <= 1:
            raise ValueError(f"target of {code} is a ratio: between 0 and 1, got {target}")
        if kpi.unit == "points" and not 0 <= target <= (kpi.max_points or 0):
            raise ValueError(f"target of {code}: between 0 and {kpi.max_points}, got {target}")
        if target < 0:
            raise ValueError(f"target of {code} must be >= 0, got {target}")
    row = {"code": code, "target": target,
           "updated_at": datetime.now(UTC).replace(tzinfo=None), "updated_by": by}
    with engine.begin() as conn:
        upsert(conn, s.kpi_targets, [row], keys=("code",),
               replace=["target", "updated_at", "updated_by"])

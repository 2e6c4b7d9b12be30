"""Bulk decode of a batch of raw Kafka values into a typed Polars frame.

One `pl.read_ndjson` over the joined values with the contract's explicit schema (~10× faster
than json.loads per record). Records that cannot be decoded or break the contract are returned
separately with a reason, so the caller can dead-letter them while the rest flows.
"""

from __future__ import annotations

import io
import json
from dataclasses import dataclass

import polars as pl

from ioc.events.contracts import (
    TIME_ORDER,
    Contract,
    polars_schema,
    time_columns,
    validate_event,
)

ROW = "_row"


@dataclass
class Decoded:
    frame: pl.DataFrame  # valid rows, times as naive UTC datetimes, plus ROW = index in input
    bad: list[tuple[int, str]]  # (index in input, reason)


def _read(values: list[bytes], contract: Contract) -> pl.DataFrame:
    # JSON never needs a raw newline outside strings; inside strings it is invalid anyway.
    data = b"\n".join(v.replace(b"\n", b" ").replace(b"\r", b" ") for v in values)
    return pl.read_ndjson(io.BytesIO(data), schema=polars_schema(contract))


def _slow_check(values: list[bytes], idx: list[int], contract: Contract) -> dict[int, str]:
    reasons: dict[int, str] = {}
    for i in idx:
        try:
            obj = json.loads(values[i])
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            reasons[i] = f"invalid JSON: {exc}"
            continue
        problems = validate_event(contract, obj)
        reasons[i] = "; ".join(problems) if problems else "rejected by bulk decoder"
    return reasons


def _vector_problems(df: pl.DataFrame, contract: Contract) -> pl.Series:
    """True for rows that break the contract (checked column-wise, no Python loop)."""
    bad = pl.lit(False)
    for name in contract.required:
        bad = bad | pl.col(name).is_null()
    for name in time_columns(contract):
        bad = bad | (pl.col(name).is_not_null() & pl.col(f"{name}__t").is_null())
    for name, allowed in contract.enums.items():
        ok = [a for a in allowed if a is not None]
        bad = bad | (pl.col(name).is_not_null() & ~pl.col(name).is_in(ok))
    bad = bad | ~pl.col("type").is_in(list(contract.types))
    bad = bad | (pl.col("schema") != contract.schema) | (pl.col("seq") < 1)
    bad = bad | (pl.col("ward_code").is_null() & pl.col("ward_code_reason").is_null())
    for earlier, later in TIME_ORDER[contract.stream]:  # e.g. completed before received
        bad = bad | (pl.col(f"{later}__t") < pl.col(f"{earlier}__t")).fill_null(False)
    return df.select(bad.fill_null(True).alias("bad")).to_series()


def decode_batch(values: list[bytes], contract: Contract) -> Decoded:
    n = len(values)
    blank = [i for i, v in enumerate(values) if not v or not v.strip()]
    bad_reasons: dict[int, str] = {i: "empty record" for i in blank}
    idx = [i for i in range(n) if i not in bad_reasons]
    try:
        df = _read([values[i] for i in idx], contract)
    except (pl.exceptions.ComputeError, pl.exceptions.PolarsError, ValueError):
        # Some record is not decodable as a whole: find it, then bulk-decode the rest.
        slow = _slow_check(values, idx, contract)
        bad_reasons.update({i: r for i, r in slow.items() if r != "rejected by bulk decoder"})
        idx = [i for i in idx if i not in bad_reasons]
        try:
            df = _read([values[i] for i in idx], contract)
        except (pl.exceptions.PolarsError, ValueError):
            bad_reasons.update(_slow_check(values, idx, contract))
            idx, df = [], pl.DataFrame(schema=polars_schema(contract))
    df = df.with_columns(pl.Series(ROW, idx, dtype=pl.Int64))
    times = time_columns(contract)
    df = df.with_columns(
        pl.col(t).str.to_datetime(time_zone="UTC", strict=False)
        .dt.replace_time_zone(None).alias(f"{t}__t")
        for t in times
    )
    flags = _vector_problems(df, contract)
    if flags.any():
        rejected = df.filter(flags)[ROW].to_list()
        bad_reasons.update(_slow_check(values, rejected, contract))
        df = df.filter(~flags)
    df = df.drop(times).rename({f"{t}__t": t for t in times})
    return Decoded(frame=df, bad=sorted(bad_reasons.items()))

"""Names the dossiers carry per code (pure Polars): the rows a set of dossier states adds to
the names table, and the change when states replace others.

The table counts, per (province, kind, code, name), the stored dossiers carrying that pair;
like the buckets it moves by contributions(new) − contributions(old), so a pair whose count
is above zero is exactly a pair some stored dossier carries (what a scan of the dossiers
would find), whatever the replays, duplicates and order of the events."""

from __future__ import annotations

from collections.abc import Iterable

import polars as pl

from ioc.kpis.buckets import bucket_delta

# code column → name column of the dossiers
NAMED = {"agency_code": "agency_name", "procedure_code": "procedure_name"}
KEYS = ("province_code", "kind", "code", "name")
COUNTERS = ("dossiers",)


def name_rows(states: pl.DataFrame) -> pl.DataFrame:
    """One row per (dossier, named code) whose code and name are both non-empty."""
    schema = {**{k: pl.String for k in KEYS}, "dossiers": pl.Int64}
    if states.is_empty():
        return pl.DataFrame(schema=schema)
    parts = [states.select(pl.col("province_code"), pl.lit(kind).alias("kind"),
                           pl.col(kind).alias("code"), pl.col(name).alias("name"),
                           pl.lit(1, pl.Int64).alias("dossiers"))
             for kind, name in NAMED.items()]
    return (pl.concat(parts).cast(schema)  # type: ignore[arg-type]
            .filter((pl.col("code").fill_null("") != "") & (pl.col("name").fill_null("") != "")))


def names_delta(new_states: pl.DataFrame, replaced: pl.DataFrame) -> pl.DataFrame:
    """Counts to add per pair when `new_states` replace `replaced` (zero rows dropped)."""
    return bucket_delta(name_rows(new_states), name_rows(replaced), KEYS, COUNTERS)


def pick_names(pairs: Iterable[tuple[str, str, str]]) -> dict[str, dict[str, str]]:
    """{kind: {code: name}} from (kind, code, name) pairs; a code carried with several names
    shows the greatest (a fixed choice, the same on every database)."""
    out: dict[str, dict[str, str]] = {kind: {} for kind in NAMED}
    for kind, code, name in pairs:
        have = out.setdefault(kind, {}).get(code)
        if have is None or name > have:
            out[kind][code] = name
    return out

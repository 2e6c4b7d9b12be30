"""docs/kpis.md is the catalogue's own table: the formulas the team reads are the code's."""

from __future__ import annotations

from pathlib import Path

from ioc.kpi_catalogue import CATALOGUE, markdown


def test_docs_table_matches_the_catalogue() -> None:
    doc = (Path(__file__).resolve().parents[1] / "docs" / "kpis.md").read_text()
    assert doc.endswith(markdown()), "regenerate docs/kpis.md from ioc.kpi_catalogue.markdown()"
    assert all(f"`{k.code}`" in doc for k in CATALOGUE)

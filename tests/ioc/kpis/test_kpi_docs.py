"""docs/kpis.md is the catalogue's own table: the formulas the team reads are the code's."""

from __future__ import annotations

from ioc.kpis.catalogue import CATALOGUE, markdown
from tests import REPO_ROOT


def test_docs_table_matches_the_catalogue() -> None:
    doc = (REPO_ROOT / "docs" / "kpis.md").read_text()
    assert doc.endswith(markdown()), "regenerate docs/kpis.md from ioc.kpis.catalogue.markdown()"
    assert all(f"`{k.code}`" in doc for k in CATALOGUE)

"""`ioc import` without --mapping reads the mapping shipped with the file connector."""

from __future__ import annotations

from connectors.files.mapping import DEFAULT_MAPPING_PATH
from ioc.cli.main import build_parser
from ioc.cli.sources import DEFAULT_MAPPING


def test_import_default_mapping_is_the_bundled_file() -> None:
    assert DEFAULT_MAPPING == DEFAULT_MAPPING_PATH and DEFAULT_MAPPING.is_file()
    args = build_parser().parse_args(["import", "export.csv"])
    assert args.mapping == str(DEFAULT_MAPPING_PATH)

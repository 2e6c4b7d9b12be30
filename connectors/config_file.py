"""Reading a connector's YAML settings file: one mapping of settings, unknown keys refused
with the list of known ones (a typo must not silently fall back to a default)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import fields
from pathlib import Path
from typing import Any

import yaml


def load_settings(path: str | Path) -> Mapping[str, Any]:
    """The YAML file's top-level mapping (empty file → {}); ValueError otherwise."""
    spec = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    if not isinstance(spec, Mapping):
        raise ValueError(f"{path}: expected a mapping of settings")
    return spec


def check_known(spec: Mapping[str, Any], cls: type, what: str) -> None:
    """ValueError naming the keys of `spec` that are not fields of the dataclass `cls`."""
    names = {f.name for f in fields(cls)}
    unknown = set(spec) - names
    if unknown:
        raise ValueError(f"unknown {what} settings {sorted(unknown)}; known: {sorted(names)}")


__all__ = ["check_known", "load_settings"]

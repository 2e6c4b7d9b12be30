"""The problems of one mapped row, shared by the halves of the column mapping (dossiers in
`mapping`, social posts in `social`) without an import cycle between them."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any


def require_filled(vals: Mapping[str, Any], problems: list[str], where: Callable[[str], str],
                   names: tuple[str, ...]) -> None:
    """Add "<column>: empty" to `problems` for each needed field without a value (unless its
    column already has a problem, e.g. an unreadable date)."""
    for name in names:
        if vals.get(name) is None and not any(p.startswith(where(name)) for p in problems):
            problems.append(f"{where(name)}: empty")


__all__ = ["require_filled"]

"""Scoped accounts on the pages: the signed-in user's scope (ioc.auth.scopes) applied where a
page turns its widgets and URL into a scope (`enforce`), and again inside the loaders the
pages call (`scoped`, `scoped_ranking`), so a widget or URL edited to another commune reaches
no query. Out of scope is an exception, shown by `scope_guard` as one explicit message with
no data; it is never an empty table that could pass for "no dossiers"."""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import polars as pl
import streamlit as st

from ioc.auth.scopes import OUT_OF_SCOPE, allowed_codes, clamp, clamp_ranking, covers
from ioc.ui.session import current_scope

R = TypeVar("R")
# Ranking dimension (column) → the scope kind it ranks.
RANKED_KIND = {"ward_code": "commune", "agency_code": "agency"}


class OutOfScope(Exception):
    """The requested scope lies outside the signed-in user's."""


def enforce(requested: str) -> str:
    """The requested scope cut to the user's (unchanged for unrestricted users); raises
    OutOfScope when none of it is the user's."""
    allowed = clamp(current_scope(), requested)
    if allowed is None:
        raise OutOfScope(requested)
    return allowed


def in_scope(scope: str, province_code: str = "") -> bool:
    """Whether a row's own scope (an alert's, a commune's) is inside the user's; a scope
    without a province is read as inside `province_code` (commune codes are national)."""
    if province_code and "province:" not in scope:
        scope = f"province:{province_code},{scope}"
    return covers(current_scope(), scope)


def visible_communes(frame: pl.DataFrame, province_code: str,
                     column: str = "ward_code") -> pl.DataFrame:
    """The rows of a per-commune frame (a map's values) whose commune is inside the user's
    scope; all of them for an unrestricted user."""
    if current_scope() is None or frame.is_empty():
        return frame
    keep = [c for c in frame[column].unique().to_list()
            if in_scope(f"province:{province_code},commune:{c}")]
    return frame.filter(pl.col(column).is_in(keep))


def scoped(load: Callable[..., R]) -> Callable[..., R]:
    """A loader `load(url, scope, …)` that only ever queries the clamped scope."""
    @functools.wraps(load)
    def run(url: str, scope: str, *args: Any, **kwargs: Any) -> R:
        return load(url, enforce(scope), *args, **kwargs)
    return _keep_clear(run, load)


def _keep_clear(run: Callable[..., R], load: Callable[..., R]) -> Callable[..., R]:
    # A wrapped st.cache_data loader keeps its .clear() (pages clear reads after a change).
    if hasattr(load, "clear"):
        run.clear = load.clear  # type: ignore[attr-defined]
    return run


def scoped_ranking(load: Callable[..., R]) -> Callable[..., R]:
    """A rankings loader `load(url, scope, start, end, window, dim)`: the ranked kind's
    restriction is lifted (published scores, ioc.auth.scopes), the others apply."""
    @functools.wraps(load)
    def run(url: str, scope: str, *args: Any, **kwargs: Any) -> R:
        dim = kwargs.get("dim", args[-1] if args else "")
        allowed = clamp_ranking(current_scope(), scope, RANKED_KIND.get(dim, ""))
        if allowed is None:
            raise OutOfScope(scope)
        return load(url, allowed, *args, **kwargs)
    return _keep_clear(run, load)


def picker_options(kind: str, options: list[str], key: str) -> list[str]:
    """A drill-down picker's options for the user: a kind he is limited to loses its "all"
    entry ('' would only mean his own codes) and starts on his first code. Codes outside his
    scope (e.g. from an edited URL) stay visible so the refusal can say so."""
    allowed = allowed_codes(current_scope(), kind)
    if not allowed:  # None: any code; (): a scope that grants nothing, the loaders refuse
        return options
    current = st.session_state.get(key) or allowed[0]
    st.session_state[key] = current
    kept = [c for c in options if c and (c in allowed or c == current)]
    return kept if current in kept else [*kept, current]


def scoped_commune(province_code: str, requested: str, kinds: tuple[str, ...] = ("commune",)
                   ) -> str:
    """For pages whose data has no other cut than the commune (social posts): the commune
    the user may see for the requested one ('' = the province). Raises OutOfScope for another
    commune, and for a restriction the data cannot express (an agency: posts have none)."""
    base = f"province:{province_code}" + (f",commune:{requested}" if requested else "")
    parts = dict(p.partition(":")[::2] for p in enforce(base).split(","))
    if set(parts) - {"province", *kinds}:
        raise OutOfScope(base)
    return parts.get("commune", "")


def render_out_of_scope() -> None:
    st.warning(OUT_OF_SCOPE, icon=":material/block:")


@contextmanager
def scope_guard() -> Iterator[None]:
    """Show the out-of-scope message instead of the section (no data, no traceback)."""
    try:
        yield
    except OutOfScope:
        render_out_of_scope()


__all__ = ["RANKED_KIND", "OutOfScope", "enforce", "in_scope", "picker_options",
           "render_out_of_scope", "scoped_commune",
           "scope_guard", "scoped", "scoped_ranking", "visible_communes"]

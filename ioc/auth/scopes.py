"""Scoped accounts (pure): what part of the province a user may see, and the one function
that cuts a requested scope down to it.

A user scope is stored on the account as 'province:25', 'commune:08494[,commune:08497…]' or
'agency:SYT-25' (None/'' = unrestricted). Requested scopes are the strings every query takes
('province:25,commune:08494,agency:…', ioc.kpis.catalogue.parse_scope). Within one kind the
user's codes are alternatives (any of his communes); kinds combine with AND, like queries.

Rankings (decided, issue 14 §4): the portal publishes every commune's and agency's scores, so
a scoped user sees the whole ranking *of the dimension being ranked* (his commune among the
others), still cut by his other restrictions; lists, tiles, trends and drill-down of another
commune are refused (`clamp` gives None → "ngoài phạm vi · out of your scope", no data).
"""

from __future__ import annotations

KINDS = ("province", "commune", "agency")
OUT_OF_SCOPE = "Ngoài phạm vi của tài khoản · Out of your scope"
# A user scope that grants nothing (an OIDC scope claim that does not parse, an account that
# could not be read): every clamp refuses it, so it fails closed, never unrestricted.
DENY_ALL = "deny:all"


class ScopeError(ValueError):
    pass


def _parts(scope: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for part in scope.split(","):
        kind, _, code = part.strip().partition(":")
        if not kind or not code.strip():
            raise ScopeError(f"scope must be KIND:CODE[,KIND:CODE…], got {scope!r}")
        out.append((kind.strip(), code.strip()))
    return out


def parse_user_scope(scope: str | None) -> dict[str, tuple[str, ...]]:
    """{kind: allowed codes} of a stored user scope; {} = unrestricted. Raises ScopeError
    on a kind other than province/commune/agency or an empty code."""
    if scope is None or not scope.strip():
        return {}
    allowed: dict[str, list[str]] = {}
    for kind, code in _parts(scope):
        if kind not in KINDS:
            raise ScopeError(f"scope kind {kind!r} not allowed; use {', '.join(KINDS)}")
        if code not in allowed.setdefault(kind, []):
            allowed[kind].append(code)
    return {kind: tuple(codes) for kind, codes in allowed.items()}


def normalize_user_scope(scope: str | None) -> str | None:
    """Canonical stored form ('commune:08494,commune:08497'), None for unrestricted."""
    allowed = parse_user_scope(scope)
    parts = [f"{kind}:{code}" for kind in KINDS for code in allowed.get(kind, ())]
    return ",".join(parts) or None


def clamp(user_scope: str | None, requested: str) -> str | None:
    """The part of `requested` the user may see, or None (nothing of it).

    A requested code of a restricted kind must be one of the user's (else None: editing the
    URL to another commune gets nothing); a restricted kind the request leaves open is filled
    with the user's first code (a commune user asking for the province gets his commune).
    A malformed request is refused too, and so is everything for a user scope that does not
    parse (DENY_ALL): failing closed."""
    try:
        allowed = parse_user_scope(user_scope)
        parts = _parts(requested)
    except ScopeError:
        return None
    for kind, codes in allowed.items():
        asked = [code for k, code in parts if k == kind]
        if any(code not in codes for code in asked):
            return None
        if not asked:
            parts.append((kind, codes[0]))
    return ",".join(f"{kind}:{code}" for kind, code in parts)


def clamp_ranking(user_scope: str | None, requested: str, ranked_kind: str) -> str | None:
    """Scope of a ranking of `ranked_kind` (commune | agency): the user's restriction on the
    ranked kind is lifted (published scores), the others still apply."""
    try:
        allowed = parse_user_scope(user_scope)
    except ScopeError:
        return None  # an unreadable user scope sees no ranking either
    rest = ",".join(f"{k}:{c}" for k, codes in allowed.items() if k != ranked_kind
                    for c in codes)
    return clamp(rest or None, requested)


def covers(user_scope: str | None, scope: str) -> bool:
    """Whether `scope` lies inside the user's scope as it is (no narrowing needed), e.g. an
    alert's scope on the alerts list."""
    return clamp(user_scope, scope) == ",".join(f"{k}:{c}" for k, c in _safe_parts(scope))


def _safe_parts(scope: str) -> list[tuple[str, str]]:
    try:
        return _parts(scope)
    except ScopeError:
        return []


def allowed_codes(user_scope: str | None, kind: str) -> tuple[str, ...] | None:
    """The codes of `kind` the user may pick in a widget; None = any, () = none (a user
    scope that does not parse)."""
    try:
        return parse_user_scope(user_scope).get(kind)
    except ScopeError:
        return ()


def describe(user_scope: str | None) -> str:
    """'commune:08494, commune:08497' or 'toàn bộ · all' for lists and audit lines."""
    try:
        norm = normalize_user_scope(user_scope)
    except ScopeError:
        return "không hợp lệ · invalid (nothing shown)"
    return norm.replace(",", ", ") if norm else "toàn bộ · all"


__all__ = ["DENY_ALL", "KINDS", "OUT_OF_SCOPE", "ScopeError", "allowed_codes", "clamp",
           "clamp_ranking", "covers", "describe", "normalize_user_scope", "parse_user_scope"]

"""Who is using this browser session: sign-in, sign-out and the server-side permission check.

The Identity lives in `st.session_state` (server memory of one browser connection): nothing the
browser sends can set it except a successful `sign_in`. A page calls `require_action(action)`
right before every state-changing action (acknowledge an alert, edit a rule …), because hiding
a button is only cosmetic; a forged widget event still reaches the server.

Anonymous visitors (wall screens, tablets) get `IOC_ANONYMOUS_ROLE`'s pages (default viewer;
an empty value means sign-in is required for everything). They have no Identity, so every
`require_action` refuses them: a change is always made by a named person.

A session_state sign-in lasts as long as the browser tab's connection (a full page reload
starts a new session, anonymous again), and at most `IOC_SESSION_MAX_HOURS` after the
sign-in or `IOC_SESSION_IDLE_MINUTES` after the last interaction (a rerun of the whole app;
a fragment's own auto-refresh is not an interaction). Both are checked on the server each
time the identity is read, so an expired session falls back to the anonymous role and any
`require_action` after it is refused. OpenID Connect (`IOC_AUTH=oidc`) keeps its own cookie
through `st.login`/`st.user`, see `identity_from_oidc`; these timeouts do not apply to it.
"""

from __future__ import annotations

import logging
import os
import time

import streamlit as st
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from ioc.auth import ROLES, Identity, authenticate, normalize_username, oidc_account, require
from ioc.auth.scopes import DENY_ALL, ScopeError, normalize_user_scope
from ioc.db import schema as s

log = logging.getLogger(__name__)

IDENTITY_KEY = "ioc_identity"
SIGNED_IN_AT_KEY = "ioc_signed_in_at"  # time.time() of the sign-in
LAST_SEEN_KEY = "ioc_last_seen"  # time.time() of the last full run while signed in
EXPIRED_KEY = "ioc_session_expired"  # set when a timeout ended the session, until shown
IDLE_MINUTES_ENV = "IOC_SESSION_IDLE_MINUTES"
MAX_HOURS_ENV = "IOC_SESSION_MAX_HOURS"
DEFAULT_IDLE_MINUTES = 30.0
DEFAULT_MAX_HOURS = 12.0
EXPIRED_TEXT = "Phiên đăng nhập đã hết hạn · Session expired"
ANONYMOUS_ROLE_ENV = "IOC_ANONYMOUS_ROLE"
AUTH_ENV = "IOC_AUTH"
OIDC_ROLE_CLAIM_ENV = "IOC_OIDC_ROLE_CLAIM"
OIDC_ROLE_MAP_ENV = "IOC_OIDC_ROLE_MAP"
OIDC_SCOPE_CLAIM_ENV = "IOC_OIDC_SCOPE_CLAIM"
# The OIDC user's account row as read at the last full run: (username, disabled, scope,
# readable) — see oidc_scope. Session memory, like the local Identity.
OIDC_ACCOUNT_KEY = "ioc_oidc_account"
OIDC_SCOPE_INVALID_TEXT = ("Phạm vi trong thông tin đăng nhập không hợp lệ: không hiển thị dữ "
                           "liệu; liên hệ quản trị viên · Your sign-in's scope claim is "
                           "invalid: no data is shown; ask an administrator")
DEFAULT_ANONYMOUS_ROLE = "viewer"
DEFAULT_OIDC_ROLE_CLAIM = "ioc_role"
OIDC_DEFAULT_ROLE = "viewer"
# Anonymous visitors can never act (require_action refuses them), so a role above viewer would
# only show pages whose buttons all fail; refusing it also keeps admin pages off open screens.
ANONYMOUS_ROLES = ("viewer",)


# ------------------------------------------------------------------ configuration (pure)

def anonymous_role() -> str | None:
    """Role of a visitor who has not signed in; None = sign-in required.

    Unset → viewer; "" → None. A value other than viewer is refused (None, with a warning):
    failing closed beats showing pages to the wrong people because of a typo."""
    raw = os.environ.get(ANONYMOUS_ROLE_ENV)
    if raw is None:
        return DEFAULT_ANONYMOUS_ROLE
    role = raw.strip().lower()
    if not role:
        return None
    if role not in ANONYMOUS_ROLES:
        log.warning("%s=%r ignored (allowed: %s or empty); sign-in required",
                    ANONYMOUS_ROLE_ENV, raw, ", ".join(ANONYMOUS_ROLES))
        return None
    return role


def _positive(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    try:
        value = float(raw) if raw else default
    except ValueError:
        value = default
    if value <= 0:  # "never expire" is not offered: fall back to the default, loudly
        log.warning("%s=%r ignored; using %s", name, raw, default)
        return default
    return value


def session_limits() -> tuple[float, float]:
    """(idle seconds, absolute seconds) from IOC_SESSION_IDLE_MINUTES (default 30) and
    IOC_SESSION_MAX_HOURS (default 12)."""
    return (_positive(IDLE_MINUTES_ENV, DEFAULT_IDLE_MINUTES) * 60,
            _positive(MAX_HOURS_ENV, DEFAULT_MAX_HOURS) * 3600)


def expiry_reason(signed_in_at: object, last_seen: object, now: float,
                  idle_seconds: float, max_seconds: float) -> str | None:
    """"absolute", "idle" or None (still valid). Missing or malformed times count as
    expired: a session must prove its age, not be trusted without one."""
    if not isinstance(signed_in_at, int | float) or not isinstance(last_seen, int | float):
        return "absolute"
    if now - signed_in_at >= max_seconds:
        return "absolute"
    if now - last_seen >= idle_seconds:
        return "idle"
    return None


def auth_mode() -> str:
    """"local" (username/password, default) or "oidc" (local accounts stay as break-glass)."""
    return "oidc" if os.environ.get(AUTH_ENV, "").strip().lower() == "oidc" else "local"


def _role_map() -> dict[str, str]:
    # "ioc-admins=admin,ioc-ops=operator": IdP group/claim value → role; bad pairs are skipped.
    out: dict[str, str] = {}
    for pair in os.environ.get(OIDC_ROLE_MAP_ENV, "").split(","):
        key, sep, role = pair.partition("=")
        if sep and key.strip() and role.strip().lower() in ROLES:
            out[key.strip()] = role.strip().lower()
    return out


def oidc_role(claim: object) -> str:
    """Role for an OIDC role claim (a string or a list, e.g. groups): the highest role any
    value maps to (through IOC_OIDC_ROLE_MAP, or a value that is itself a role name);
    viewer when none does."""
    values = claim if isinstance(claim, list | tuple) else [claim]
    mapping = _role_map()
    roles = {mapping.get(str(v), str(v).strip().lower()) for v in values if v is not None}
    ranked = [r for r in ROLES if r in roles]
    return ranked[-1] if ranked else OIDC_DEFAULT_ROLE


def oidc_claim_scope(claim: object) -> str | None:
    """User scope from the OIDC scope claim ("commune:07900", "commune:07900,commune:07903"
    or a list of such): None (unrestricted) when the claim is absent or empty; DENY_ALL
    when it does not parse (ioc.auth.scopes.normalize_user_scope) — never unrestricted."""
    if claim is None:
        return None
    if isinstance(claim, list | tuple):
        if not all(isinstance(v, str) for v in claim):
            return DENY_ALL
        raw = ",".join(v for v in claim if v.strip())
    elif isinstance(claim, str):
        raw = claim
    else:
        return DENY_ALL  # a number, a dict…: not a scope
    try:
        return normalize_user_scope(raw)
    except ScopeError:
        return DENY_ALL


def oidc_scope(account: object, username: str, claim: object) -> str | None:
    """The OIDC user's scope: his account row's when an admin created one (`ioc users
    add-oidc`/`set-scope`, even without a scope: then unrestricted), else the claim's
    (IOC_OIDC_SCOPE_CLAIM). An account not read for this user (no full run yet, database
    error) gives DENY_ALL: the row might restrict him."""
    if not (isinstance(account, tuple) and len(account) == 4 and account[0] == username):
        return DENY_ALL
    _, _, scope, readable = account
    if not readable:
        return DENY_ALL
    if scope is not False:  # a row exists (its scope may be None = unrestricted)
        try:
            return normalize_user_scope(scope)
        except ScopeError:
            return DENY_ALL
    name = os.environ.get(OIDC_SCOPE_CLAIM_ENV, "").strip()
    return oidc_claim_scope(claim) if name else None


# ------------------------------------------------------------------ session (Streamlit)

def identity_from_oidc() -> Identity | None:
    """The `st.login` user as an Identity (source "oidc"), only when IOC_AUTH=oidc.

    Configure the provider in .streamlit/secrets.toml ([auth] redirect_uri, cookie_secret,
    client_id, client_secret, server_metadata_url; see Streamlit's st.login docs) and name the
    role claim in IOC_OIDC_ROLE_CLAIM (default "ioc_role"; map IdP values with
    IOC_OIDC_ROLE_MAP="group=role,…"). Without a matching claim the user is a viewer.

    Scope (issue 14 §4): see `oidc_scope` — the account row an admin made for that name
    (read once per full run by refresh_identity), else the claim named by
    IOC_OIDC_SCOPE_CLAIM; an invalid claim gives DENY_ALL (no data). A disabled row
    refuses the user (anonymous)."""
    username = _oidc_username()
    if username is None:
        return None
    account = st.session_state.get(OIDC_ACCOUNT_KEY)
    if isinstance(account, tuple) and len(account) == 4 and account[0] == username \
            and account[1]:
        return None  # disabled by an admin
    user = st.user
    claim = os.environ.get(OIDC_ROLE_CLAIM_ENV, "").strip() or DEFAULT_OIDC_ROLE_CLAIM
    scope_claim = os.environ.get(OIDC_SCOPE_CLAIM_ENV, "").strip()
    return Identity(username=username, role=oidc_role(user.get(claim)), source="oidc",
                    scope=oidc_scope(account, username,
                                     user.get(scope_claim) if scope_claim else None))


def _oidc_username() -> str | None:
    # The st.login user's name as the UI and the users table spell it; None when no OIDC.
    if auth_mode() != "oidc":
        return None
    user = getattr(st, "user", None)
    if user is None or not user.get("is_logged_in"):
        return None
    name = user.get("email") or user.get("preferred_username") or user.get("sub")
    return normalize_username(str(name))[:64] if name else None


def _read_oidc_account(engine: Engine) -> None:
    """Once per full run: read the account row named like the OIDC user into the session
    (see oidc_scope), so a scope set or an account disabled by an admin applies at the next
    click, as for local accounts; a database error is remembered as unreadable."""
    username = _oidc_username()
    if username is None:
        st.session_state.pop(OIDC_ACCOUNT_KEY, None)
        return
    try:
        row = oidc_account(engine, username)
    except SQLAlchemyError:
        st.session_state[OIDC_ACCOUNT_KEY] = (username, False, None, False)
        return
    st.session_state[OIDC_ACCOUNT_KEY] = ((username, False, False, True) if row is None
                                          else (username, row[0], row[1], True))


def _expire_if_due(now: float | None = None) -> None:
    """End a local sign-in that was idle too long or is too old (server side, every read)."""
    ident = st.session_state.get(IDENTITY_KEY)
    if not isinstance(ident, Identity):
        return
    idle, most = session_limits()
    reason = expiry_reason(st.session_state.get(SIGNED_IN_AT_KEY),
                           st.session_state.get(LAST_SEEN_KEY),
                           time.time() if now is None else now, idle, most)
    if reason:
        log.info("session of %r expired (%s)", ident.username, reason)
        sign_out()
        st.session_state[EXPIRED_KEY] = reason


def current_identity() -> Identity | None:
    """The signed-in Identity of this session, or None (anonymous; also once the session
    has timed out)."""
    _expire_if_due()
    ident = st.session_state.get(IDENTITY_KEY)
    if isinstance(ident, Identity):
        return ident
    return identity_from_oidc()


def current_role() -> str | None:
    """Role that builds the menu: the identity's, else the anonymous role (None = none)."""
    ident = current_identity()
    return ident.role if ident is not None else anonymous_role()


def client_source() -> str:
    """"ui" plus the client address when Streamlit knows it (stored with the attempt)."""
    addr = None
    try:
        addr = st.context.ip_address
        if not addr:
            # Behind a proxy the socket address is missing; the header is only a label here.
            fwd = st.context.headers.get("X-Forwarded-For") or ""
            addr = fwd.split(",")[0].strip() or None
    except Exception:  # noqa: BLE001 - no context outside a script run; the label is optional
        addr = None
    return f"ui:{addr}" if isinstance(addr, str) and addr else "ui"


def sign_in(engine: Engine, username: str, password: str) -> Identity:
    """Check the credentials (ioc.auth.authenticate: throttled, every attempt recorded) and
    store the Identity in the session. Raises LoginFailed; show only its generic message."""
    sign_out()  # a failed attempt never keeps a previous user
    ident = authenticate(engine, username, password, source=client_source())
    st.session_state[IDENTITY_KEY] = ident
    st.session_state[SIGNED_IN_AT_KEY] = st.session_state[LAST_SEEN_KEY] = time.time()
    st.session_state.pop(EXPIRED_KEY, None)
    return ident


def sign_out() -> None:
    ident = st.session_state.pop(IDENTITY_KEY, None)
    st.session_state.pop(SIGNED_IN_AT_KEY, None)
    st.session_state.pop(LAST_SEEN_KEY, None)
    if isinstance(ident, Identity):
        log.info("sign-out of %r", ident.username)


def refresh_identity(engine: Engine) -> Identity | None:
    """Once per full run (app.py): end a timed-out session (and say so once, on the page),
    then re-read a local identity's account, so disabling a user or changing a role takes
    effect at their next click rather than at their next sign-in. The run counts as the
    session's latest interaction."""
    _expire_if_due()
    if st.session_state.pop(EXPIRED_KEY, None):
        st.warning(EXPIRED_TEXT, icon=":material/timer_off:")
    ident = st.session_state.get(IDENTITY_KEY)
    if not isinstance(ident, Identity) and auth_mode() == "oidc":
        _read_oidc_account(engine)
        oidc = current_identity()
        if oidc is not None and oidc.scope == DENY_ALL:
            st.error(OIDC_SCOPE_INVALID_TEXT, icon=":material/block:")
        return oidc
    if not isinstance(ident, Identity) or ident.source != "local":
        return current_identity()
    st.session_state[LAST_SEEN_KEY] = time.time()
    u = s.users.c
    try:
        with engine.connect() as conn:
            row = conn.execute(select(u.role, u.disabled, u.scope)
                               .where(u.username == ident.username)).first()
    except SQLAlchemyError:
        return ident  # the page shows the database error; nothing can be changed meanwhile
    if row is None or row.disabled:
        log.info("session of %r ended: account missing or disabled", ident.username)
        sign_out()
        return current_identity()
    if (row.role, row.scope) != (ident.role, ident.scope):  # scope changes apply at once too
        ident = Identity(ident.username, row.role, ident.source, row.scope)
        st.session_state[IDENTITY_KEY] = ident
    return ident


def current_scope() -> str | None:
    """The signed-in user's scope (ioc.auth.scopes), None = unrestricted. Anonymous screens
    are unrestricted: they see what IOC_ANONYMOUS_ROLE allows (empty = sign-in required)."""
    ident = current_identity()
    return ident.scope if ident is not None else None


def require_action(action: str) -> Identity:
    """Server-side check before a state-changing action: the signed-in identity, or
    PermissionDenied (anonymous visitors included). Call it in the handler, not only when
    deciding whether to draw the button."""
    return require(current_identity(), action)


__all__ = [
    "ANONYMOUS_ROLE_ENV", "AUTH_ENV", "EXPIRED_TEXT", "IDENTITY_KEY", "IDLE_MINUTES_ENV",
    "LAST_SEEN_KEY", "MAX_HOURS_ENV", "OIDC_ACCOUNT_KEY", "OIDC_ROLE_CLAIM_ENV",
    "OIDC_ROLE_MAP_ENV", "OIDC_SCOPE_CLAIM_ENV", "OIDC_SCOPE_INVALID_TEXT",
    "SIGNED_IN_AT_KEY", "anonymous_role", "auth_mode", "client_source", "current_identity",
    "current_scope",
    "current_role", "expiry_reason", "identity_from_oidc", "oidc_claim_scope", "oidc_role",
    "oidc_scope", "refresh_identity",
    "require_action", "session_limits", "sign_in", "sign_out",
]

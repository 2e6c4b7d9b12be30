"""Who is using this browser session: sign-in, sign-out and the server-side permission check.

The Identity lives in `st.session_state` (server memory of one browser connection): nothing the
browser sends can set it except a successful `sign_in`. A page calls `require_action(action)`
right before every state-changing action (acknowledge an alert, edit a rule …), because hiding
a button is only cosmetic; a forged widget event still reaches the server.

Anonymous visitors (wall screens, tablets) get `IOC_ANONYMOUS_ROLE`'s pages (default viewer;
an empty value means sign-in is required for everything). They have no Identity, so every
`require_action` refuses them: a change is always made by a named person.

A session_state sign-in lasts as long as the browser tab's connection: a full page reload
starts a new session (anonymous again). OpenID Connect (`IOC_AUTH=oidc`) keeps its own
cookie through `st.login`/`st.user`, see `identity_from_oidc`.
"""

from __future__ import annotations

import logging
import os

import streamlit as st
from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError

from ioc.auth import ROLES, Identity, authenticate, normalize_username, require
from ioc.db import schema as s

log = logging.getLogger(__name__)

IDENTITY_KEY = "ioc_identity"
ANONYMOUS_ROLE_ENV = "IOC_ANONYMOUS_ROLE"
AUTH_ENV = "IOC_AUTH"
OIDC_ROLE_CLAIM_ENV = "IOC_OIDC_ROLE_CLAIM"
OIDC_ROLE_MAP_ENV = "IOC_OIDC_ROLE_MAP"
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


# ------------------------------------------------------------------ session (Streamlit)

def identity_from_oidc() -> Identity | None:
    """The `st.login` user as an Identity (source "oidc"), only when IOC_AUTH=oidc.

    Configure the provider in .streamlit/secrets.toml ([auth] redirect_uri, cookie_secret,
    client_id, client_secret, server_metadata_url; see Streamlit's st.login docs) and name the
    role claim in IOC_OIDC_ROLE_CLAIM (default "ioc_role"; map IdP values with
    IOC_OIDC_ROLE_MAP="group=role,…"). Without a matching claim the user is a viewer."""
    if auth_mode() != "oidc":
        return None
    user = getattr(st, "user", None)
    if user is None or not user.get("is_logged_in"):
        return None
    name = user.get("email") or user.get("preferred_username") or user.get("sub")
    if not name:
        return None
    claim = os.environ.get(OIDC_ROLE_CLAIM_ENV, "").strip() or DEFAULT_OIDC_ROLE_CLAIM
    return Identity(username=normalize_username(str(name))[:64], role=oidc_role(user.get(claim)),
                    source="oidc")


def current_identity() -> Identity | None:
    """The signed-in Identity of this session, or None (anonymous)."""
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
    st.session_state.pop(IDENTITY_KEY, None)  # a failed attempt never keeps a previous user
    ident = authenticate(engine, username, password, source=client_source())
    st.session_state[IDENTITY_KEY] = ident
    return ident


def sign_out() -> None:
    ident = st.session_state.pop(IDENTITY_KEY, None)
    if isinstance(ident, Identity):
        log.info("sign-out of %r", ident.username)


def refresh_identity(engine: Engine) -> Identity | None:
    """Re-read a local identity's account on each run, so disabling a user or changing a role
    takes effect at their next click rather than at their next sign-in."""
    ident = st.session_state.get(IDENTITY_KEY)
    if not isinstance(ident, Identity) or ident.source != "local":
        return current_identity()
    u = s.users.c
    try:
        with engine.connect() as conn:
            row = conn.execute(select(u.role, u.disabled)
                               .where(u.username == ident.username)).first()
    except SQLAlchemyError:
        return ident  # the page shows the database error; nothing can be changed meanwhile
    if row is None or row.disabled:
        log.info("session of %r ended: account missing or disabled", ident.username)
        sign_out()
        return current_identity()
    if row.role != ident.role:
        ident = Identity(ident.username, row.role, ident.source)
        st.session_state[IDENTITY_KEY] = ident
    return ident


def require_action(action: str) -> Identity:
    """Server-side check before a state-changing action: the signed-in identity, or
    PermissionDenied (anonymous visitors included). Call it in the handler, not only when
    deciding whether to draw the button."""
    return require(current_identity(), action)


__all__ = [
    "ANONYMOUS_ROLE_ENV", "AUTH_ENV", "IDENTITY_KEY", "OIDC_ROLE_CLAIM_ENV", "OIDC_ROLE_MAP_ENV",
    "anonymous_role", "auth_mode", "client_source", "current_identity", "current_role",
    "identity_from_oidc", "oidc_role", "refresh_identity", "require_action", "sign_in",
    "sign_out",
]

"""Roles and the server-side permission check (pure).

Pages and actions ask `can(identity.role, action)` / `require(identity, action)`; they never
compare role names themselves. An `Identity` comes from `authenticate` (source "local") or
from OpenID Connect (`st.login`, source "oidc"), so pages need not know which.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

# Same names and order as ioc.ui.nav.ROLES (a test checks); order = rank, lowest first.
ROLES: tuple[str, ...] = ("viewer", "operator", "admin")
RANK = {role: i for i, role in enumerate(ROLES)}

# Action → minimum role. An action missing here is a programming error (can() raises), so a
# typo in a page fails loudly instead of silently allowing or denying.
PERMISSIONS: dict[str, str] = {
    "view": "viewer",
    "export": "viewer",
    "alert.ack": "operator",
    "alert.silence": "operator",  # silences mute notifications, never evaluation
    "sentiment.relabel": "operator",  # corrected labels feed `ioc sentiment train`
    "playlist.edit": "operator",  # wall-screen playlists (ioc.wall.store)
    "rule.create": "admin",
    "rule.edit": "admin",
    "rule.disable": "admin",
    "target.edit": "admin",
    "sla.edit": "admin",  # feedback handling deadlines per category / agency (ioc sla)
    "user.manage": "admin",
}

IdentitySource = Literal["local", "oidc"]


class PermissionDenied(Exception):
    pass


@dataclass(frozen=True)
class Identity:
    username: str
    role: str
    source: IdentitySource = "local"
    # ioc.auth.scopes user scope ('commune:08494', 'agency:…'); None = the whole province
    scope: str | None = None

    def can(self, action: str) -> bool:
        return can(self.role, action)


def can(role: str | None, action: str) -> bool:
    """Whether `role` may do `action`. Unknown roles (e.g. a stray OIDC claim) may do
    nothing; unknown actions raise ValueError."""
    if action not in PERMISSIONS:
        raise ValueError(f"unknown action {action!r}")
    if role not in RANK:
        return False
    return RANK[role] >= RANK[PERMISSIONS[action]]


def require(identity: Identity | None, action: str) -> Identity:
    """Raise PermissionDenied unless the identity may do the action; returns it otherwise."""
    if identity is None:
        raise PermissionDenied(f"sign in required for {action!r}")
    if not can(identity.role, action):
        raise PermissionDenied(f"role {identity.role!r} may not do {action!r} "
                               f"(needs {PERMISSIONS[action]!r})")
    return identity

"""Local accounts, roles and the server-side permission check: `permissions` (pure roles and
actions), `passwords` (policy, Argon2id), `accounts` (users and sign-in in the database).
The names callers use are re-exported here."""

from ioc.auth.accounts import (
    ADMIN_USERNAME,
    BAD_CREDENTIALS,
    LOCKED,
    LoginFailed,
    LoginPolicy,
    add_oidc_user,
    authenticate,
    create_user,
    ensure_admin,
    is_locked,
    list_users,
    normalize_username,
    oidc_account,
    retry_after,
    set_disabled,
    set_password,
    set_role,
    set_scope,
    unlock,
)
from ioc.auth.passwords import (
    MAX_PASSWORD_LEN,
    MIN_PASSWORD_LEN,
    UserError,
    check_password_policy,
    hash_password,
    needs_rehash,
    verify_password,
)
from ioc.auth.permissions import (
    PERMISSIONS,
    ROLES,
    Identity,
    IdentitySource,
    PermissionDenied,
    can,
    require,
)

__all__ = [
    "ADMIN_USERNAME", "BAD_CREDENTIALS", "LOCKED", "MAX_PASSWORD_LEN", "MIN_PASSWORD_LEN",
    "PERMISSIONS", "ROLES", "Identity", "IdentitySource", "LoginFailed", "LoginPolicy",
    "PermissionDenied", "UserError", "add_oidc_user", "authenticate", "can",
    "check_password_policy", "create_user", "ensure_admin", "hash_password", "is_locked",
    "list_users", "needs_rehash", "normalize_username", "oidc_account", "require",
    "retry_after", "set_disabled", "set_password", "set_role", "set_scope", "unlock",
    "verify_password",
]

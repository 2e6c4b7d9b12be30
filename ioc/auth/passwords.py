"""Password policy and Argon2id hashes (argon2-cffi). No function here logs, returns or puts a
password into an exception message."""

from __future__ import annotations

import secrets

from argon2 import PasswordHasher, Type
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

MIN_PASSWORD_LEN = 10
MAX_PASSWORD_LEN = 1024  # Argon2 accepts more; a cap keeps one request from costing much

_HASHER = PasswordHasher(type=Type.ID)  # RFC 9106 low-memory profile (t=3, m=64 MiB)
_dummy_hash: str | None = None


class UserError(ValueError):
    """Bad account input or state (unknown user, duplicate, weak password, last admin)."""


def check_password_policy(password: str, username: str | None = None) -> None:
    if len(password) < MIN_PASSWORD_LEN:
        raise UserError(f"password must be at least {MIN_PASSWORD_LEN} characters")
    if len(password) > MAX_PASSWORD_LEN:
        raise UserError(f"password must be at most {MAX_PASSWORD_LEN} characters")
    if username and password.strip().lower() == username.strip().lower():
        raise UserError("password must not be the username")


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    try:
        return _HASHER.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    """True when the hash uses older parameters than the current hasher."""
    try:
        return _HASHER.check_needs_rehash(password_hash)
    except InvalidHashError:
        return True


def dummy_hash() -> str:
    # Hashed once per process: unknown usernames cost one Argon2 verify like real ones.
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _HASHER.hash(secrets.token_urlsafe(24))
    return _dummy_hash

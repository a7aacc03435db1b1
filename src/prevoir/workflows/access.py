"""Who may use the service: users with passwords, API keys for machines, and their roles.

Passwords are hashed with argon2 (``pwdlib``'s recommended settings); API keys are
``pv_<8 chars>_<43 chars>`` from ``secrets`` and stored as their sha256, so a leaked store
gives away neither. Roles are ordered: ``read`` < ``write`` < ``admin``.
"""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime

from pwdlib import PasswordHash

from prevoir.domain.records import ApiKey, User
from prevoir.domain.roles import ROLES
from prevoir.errors import DataValidationError, PrevoirError
from prevoir.storage import users as user_rows
from prevoir.workflows.project import Project

__all__ = [
    "Principal",
    "RevokedError",
    "authenticate_key",
    "authenticate_password",
    "create_key",
    "create_user",
    "list_keys",
    "list_users",
    "remove_user",
    "revoke_key",
    "revoke_session",
    "session_role",
    "user_role",
]

KEY_PREFIX = "pv_"
MIN_PASSWORD = 8


@dataclass(frozen=True)
class Principal:
    """An authenticated caller: a user name or ``key:<name>``, and a role."""

    name: str
    role: str

    def may(self, role: str) -> bool:
        """Whether this caller's role includes ``role``."""
        return ROLES.index(self.role) >= ROLES.index(role)


class RevokedError(PrevoirError):
    """A token that was logged out is presented again."""


@functools.cache
def _hasher() -> PasswordHash:
    return PasswordHash.recommended()


def create_user(project: Project, username: str, password: str, role: str) -> None:
    """Add a user whose password is at least ``MIN_PASSWORD`` characters."""
    if len(password) < MIN_PASSWORD:
        raise DataValidationError(
            f"the password of {username!r} is {len(password)} characters; use "
            f"{MIN_PASSWORD} or more"
        )
    with project.store.write() as conn:
        user_rows.add_user(conn, username, _hasher().hash(password), role)


def remove_user(project: Project, username: str) -> None:
    """Delete a user; tokens it holds stop working when they are next checked."""
    with project.store.write() as conn:
        user_rows.remove_user(conn, username)


def list_users(project: Project) -> list[User]:
    """Every user (name, role, created) without password hashes."""
    with project.store.read() as conn:
        return user_rows.list_users(conn)


def create_key(project: Project, name: str, role: str) -> tuple[int, str]:
    """A new API key: its id and the key itself, which is shown once and never stored."""
    key = f"{KEY_PREFIX}{secrets.token_urlsafe(6)}_{secrets.token_urlsafe(32)}"
    with project.store.write() as conn:
        key_id = user_rows.add_api_key(
            conn, name=name, prefix=key[:11], key_hash=_digest(key), role=role
        )
    return key_id, key


def revoke_key(project: Project, key_id: int) -> None:
    """Revoke an API key from now on."""
    with project.store.write() as conn:
        user_rows.revoke_api_key(conn, key_id)


def list_keys(project: Project) -> list[ApiKey]:
    """Every API key (id, name, prefix, role, created, revoked) without hashes."""
    with project.store.read() as conn:
        return user_rows.list_api_keys(conn)


def authenticate_password(project: Project, username: str, password: str) -> Principal | None:
    """The user if ``password`` is theirs, else None (same work either way)."""
    with project.store.read() as conn:
        user = user_rows.get_user(conn, username)
    if user is None:
        _hasher().hash(password)  # as slow as a real check: no user enumeration by timing
        return None
    if not _hasher().verify(password, user.password_hash):
        return None
    return Principal(username, user.role)


def authenticate_key(project: Project, key: str) -> Principal | None:
    """The key's principal if ``key`` is a live API key, else None."""
    if not key.startswith(KEY_PREFIX):
        return None
    with project.store.read() as conn:
        found = user_rows.find_api_key(conn, _digest(key))
    return Principal(f"key:{found.name}", found.role) if found is not None else None


def user_role(project: Project, username: str) -> str | None:
    """The current role of ``username``, or None if it no longer exists."""
    with project.store.read() as conn:
        user = user_rows.get_user(conn, username)
    return user.role if user is not None else None


def session_role(project: Project, username: str, jti: str) -> str | None:
    """The current role of ``username`` for a token whose id is ``jti``: None if the user no
    longer exists; ``RevokedError`` if that token was logged out."""
    with project.store.read() as conn:
        found = user_rows.token_holder(conn, username, jti)
    if found is None:
        return None
    role, revoked = found
    if revoked:
        raise RevokedError(f"this token of {username!r} was logged out; log in again")
    return role


def revoke_session(project: Project, *, username: str, jti: str, expires_at: datetime) -> None:
    """Log a token out: refused from now on, whoever holds it (until it expires anyway)."""
    with project.store.write() as conn:
        user_rows.revoke_token(conn, jti=jti, username=username, expires_at=expires_at)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()

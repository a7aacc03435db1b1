"""Users and API keys of the service: who may call it, with which role.

Hashing happens above this module (``prevoir.workflows.access``): the store only keeps the
argon2 hash of a password and the sha256 of an API key. Every function takes the caller's
``Connection`` and never commits.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from prevoir.domain.records import ApiKey, User
from prevoir.domain.roles import ROLES
from prevoir.errors import ConflictError, DataValidationError, NotFoundError
from prevoir.storage._errors import translate_errors
from prevoir.storage._records import as_record
from prevoir.storage.tables import api_keys, revoked_tokens, users

__all__ = [
    "add_api_key",
    "add_user",
    "find_api_key",
    "get_user",
    "list_api_keys",
    "list_users",
    "remove_user",
    "revoke_api_key",
    "revoke_token",
    "token_holder",
]


def _check_role(role: str) -> None:
    if role not in ROLES:
        raise DataValidationError(f"role {role!r} is not one of {list(ROLES)}")


def add_user(conn: sa.Connection, username: str, password_hash: str, role: str) -> int:
    """Create ``username``; ``ConflictError`` if the name is taken."""
    _check_role(role)
    if not username or len(username) > 100 or any(ch.isspace() for ch in username):
        raise DataValidationError(f"user name {username!r} must be 1-100 characters without spaces")
    if get_user(conn, username) is not None:
        raise ConflictError(
            f"user {username!r} exists already; remove it first "
            f"(`prevoir users remove {username}`) to set a new password or role"
        )
    values = {
        "username": username,
        "password_hash": password_hash,
        "role": role,
        "created_at": datetime.now(UTC),
    }
    with translate_errors(f"adding user {username!r}"):
        return int(conn.execute(sa.insert(users).values(values).returning(users.c.id)).scalar_one())


def get_user(conn: sa.Connection, username: str) -> User | None:
    """The user (with its password hash), or None."""
    with translate_errors(f"reading user {username!r}"):
        row = conn.execute(sa.select(users).where(users.c.username == username)).mappings().first()
    return as_record(User, row) if row is not None else None


def list_users(conn: sa.Connection) -> list[User]:
    """Every user without the password hash, by name."""
    stmt = sa.select(users.c.username, users.c.role, users.c.created_at).order_by(users.c.username)
    with translate_errors("listing users"):
        return [as_record(User, row) for row in conn.execute(stmt).mappings()]


def remove_user(conn: sa.Connection, username: str) -> None:
    """Delete ``username``; ``NotFoundError`` if there is none."""
    with translate_errors(f"removing user {username!r}"):
        deleted = conn.execute(sa.delete(users).where(users.c.username == username)).rowcount
    if deleted == 0:
        raise NotFoundError(f"no user {username!r}; `prevoir users list` shows who exists")


def add_api_key(conn: sa.Connection, *, name: str, prefix: str, key_hash: str, role: str) -> int:
    """Record a new key (by its hash); its id."""
    _check_role(role)
    values = {
        "name": name,
        "prefix": prefix,
        "key_hash": key_hash,
        "role": role,
        "created_at": datetime.now(UTC),
    }
    with translate_errors(f"adding API key {name!r}"):
        return int(
            conn.execute(sa.insert(api_keys).values(values).returning(api_keys.c.id)).scalar_one()
        )


def find_api_key(conn: sa.Connection, key_hash: str) -> ApiKey | None:
    """The live (not revoked) key with this hash, or None."""
    stmt = sa.select(api_keys).where(
        api_keys.c.key_hash == key_hash, api_keys.c.revoked_at.is_(None)
    )
    with translate_errors("checking an API key"):
        row = conn.execute(stmt).mappings().first()
    return as_record(ApiKey, row) if row is not None else None


def list_api_keys(conn: sa.Connection) -> list[ApiKey]:
    """Every key (never its hash), newest first."""
    columns = [c for c in api_keys.c if c.name != "key_hash"]
    with translate_errors("listing API keys"):
        rows = conn.execute(sa.select(*columns).order_by(api_keys.c.id.desc())).mappings()
        return [as_record(ApiKey, row) for row in rows]


def revoke_api_key(conn: sa.Connection, key_id: int) -> None:
    """Revoke key ``key_id`` from now on; ``NotFoundError`` if there is no live such key."""
    stmt = (
        sa.update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=datetime.now(UTC))
    )
    with translate_errors(f"revoking API key {key_id}"):
        if conn.execute(stmt).rowcount == 0:
            raise NotFoundError(
                f"no live API key with id {key_id}; `prevoir keys list` shows the keys"
            )


def token_holder(conn: sa.Connection, username: str, jti: str) -> tuple[str, bool] | None:
    """The current role of ``username`` and whether the token ``jti`` was revoked, in one
    indexed read; None if there is no such user."""
    revoked = sa.exists().where(revoked_tokens.c.jti == jti)
    stmt = sa.select(users.c.role, revoked.label("revoked")).where(users.c.username == username)
    with translate_errors(f"checking a token of {username!r}"):
        row = conn.execute(stmt).first()
    return (str(row.role), bool(row.revoked)) if row is not None else None


def revoke_token(conn: sa.Connection, *, jti: str, username: str, expires_at: datetime) -> None:
    """Refuse the token ``jti`` from now until it expires (again: no-op); rows of tokens
    that have expired meanwhile are deleted."""
    now = datetime.now(UTC)
    with translate_errors(f"revoking a token of {username!r}"):
        conn.execute(sa.delete(revoked_tokens).where(revoked_tokens.c.expires_at < now))
        known = sa.select(revoked_tokens.c.jti).where(revoked_tokens.c.jti == jti)
        if conn.execute(known).first() is None:
            values = {"jti": jti, "username": username, "expires_at": expires_at, "revoked_at": now}
            conn.execute(sa.insert(revoked_tokens).values(values))

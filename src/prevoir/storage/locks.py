"""Leases in the store: at most one owner holds a named lock until it releases or it expires.

One ``INSERT ... ON CONFLICT DO UPDATE ... WHERE expires_at < now`` decides atomically on both
SQLite and PostgreSQL: the row is created, taken over from an expired holder, or left alone;
reading the row back says who holds it. The expiry means a crashed holder blocks the others
only until its lease runs out; live holders extend theirs with ``renew_lock``.

Every function takes the caller's ``Connection`` and never commits: acquire in a short
transaction of its own so other processes see the lease at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from prevoir.storage._bulk import dialect_insert
from prevoir.storage._errors import translate_errors
from prevoir.storage.tables import locks

__all__ = [
    "Lease",
    "acquire_lock",
    "force_release",
    "list_locks",
    "live_holders",
    "release_lock",
    "release_owned",
    "renew_lock",
]


@dataclass(frozen=True)
class Lease:
    """Who holds a lock, since when and until when."""

    name: str
    owner: str
    acquired_at: datetime
    expires_at: datetime


def acquire_lock(conn: sa.Connection, name: str, owner: str, *, ttl: timedelta) -> Lease:
    """Try to take ``name`` for ``owner``; the lease that holds it afterwards.

    The caller owns the lock when ``lease.owner == owner`` (re-acquiring one's own lock
    extends it); otherwise the returned lease names the other holder.
    """
    now = datetime.now(UTC)
    values = {"name": name, "owner": owner, "acquired_at": now, "expires_at": now + ttl}
    stmt = dialect_insert(conn, locks).values(values)
    stmt = stmt.on_conflict_do_update(
        index_elements=[locks.c.name],
        set_={"owner": owner, "acquired_at": now, "expires_at": now + ttl},
        where=sa.or_(locks.c.expires_at < now, locks.c.owner == owner),
    )
    with translate_errors(f"taking lock {name!r}"):
        conn.execute(stmt)
        row = conn.execute(sa.select(locks).where(locks.c.name == name)).mappings().one()
    return Lease(row["name"], row["owner"], row["acquired_at"], row["expires_at"])


def renew_lock(conn: sa.Connection, name: str, owner: str, *, ttl: timedelta) -> bool:
    """Extend ``owner``'s lease by ``ttl`` from now; False if it is no longer theirs."""
    stmt = (
        sa.update(locks)
        .where(locks.c.name == name, locks.c.owner == owner)
        .values(expires_at=datetime.now(UTC) + ttl)
    )
    with translate_errors(f"renewing lock {name!r}"):
        return conn.execute(stmt).rowcount == 1


def release_lock(conn: sa.Connection, name: str, owner: str) -> bool:
    """Give ``name`` up if ``owner`` holds it; whether it did."""
    stmt = sa.delete(locks).where(locks.c.name == name, locks.c.owner == owner)
    with translate_errors(f"releasing lock {name!r}"):
        return conn.execute(stmt).rowcount == 1


def _lease(row: sa.RowMapping) -> Lease:
    return Lease(row["name"], row["owner"], row["acquired_at"], row["expires_at"])


def list_locks(conn: sa.Connection) -> list[Lease]:
    """Every lease row, live or lapsed, by name."""
    with translate_errors("listing locks"):
        rows = conn.execute(sa.select(locks).order_by(locks.c.name)).mappings()
        return [_lease(row) for row in rows]


def live_holders(conn: sa.Connection, names: list[str]) -> list[Lease]:
    """The leases among ``names`` that have not lapsed (whoever holds them)."""
    if not names:
        return []
    stmt = (
        sa.select(locks)
        .where(locks.c.name.in_(names), locks.c.expires_at >= datetime.now(UTC))
        .order_by(locks.c.name)
    )
    with translate_errors("reading locks"):
        return [_lease(row) for row in conn.execute(stmt).mappings()]


def release_owned(conn: sa.Connection, owner: str) -> int:
    """Give up every lease ``owner`` holds (a dead run's, when it is reaped); how many."""
    with translate_errors(f"releasing the locks of {owner!r}"):
        return conn.execute(sa.delete(locks).where(locks.c.owner == owner)).rowcount


def force_release(conn: sa.Connection, name: str) -> Lease | None:
    """Delete ``name`` whoever holds it (the operator's manual case); the lease it was."""
    with translate_errors(f"releasing lock {name!r}"):
        row = conn.execute(sa.select(locks).where(locks.c.name == name)).mappings().first()
        if row is None:
            return None
        conn.execute(sa.delete(locks).where(locks.c.name == name))
    return _lease(row)

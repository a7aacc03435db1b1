"""The registry on SQLite and PostgreSQL: alias history, rollback as a stack, prune that never
deletes what is referenced, and leases that admit one holder at a time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa

from prevoir.domain.records import CHAMPION
from prevoir.errors import ConflictError, NotFoundError
from prevoir.registry.registry import Registry
from prevoir.storage.forecasts import upsert_forecasts
from prevoir.storage.locks import acquire_lock, release_lock, renew_lock
from prevoir.storage.model_versions import get_alias, list_alias_history, set_alias
from prevoir.storage.store import Store
from prevoir.storage.tables import locks
from tests.integration.helpers import START, add_version

HOUR = timedelta(hours=1)


def _versions(
    conn: sa.Connection, n: int, forecaster: str = "f1", folder: Path | None = None
) -> list[int]:
    ids = []
    for i in range(n):
        path = (
            f"models/{forecaster}-{i}.pkl"
            if folder is None
            else str(folder / f"{forecaster}-{i}.pkl")
        )
        ids.append(add_version(conn, forecaster, artifact_path=path))
    return ids


def test_every_alias_move_is_recorded_with_the_version_it_left(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        v1, v2 = _versions(conn, 2)
        assert set_alias(conn, "f1", "prod", CHAMPION, v1, action="promote", reason="first") is None
        assert set_alias(conn, "f1", "prod", CHAMPION, v2, action="promote", reason="better") == v1
        history = list_alias_history(conn, "f1", "prod", CHAMPION)
    assert [(h.version_id, h.previous_version_id) for h in history] == [(v1, None), (v2, v1)]
    assert [h.reason for h in history] == ["first", "better"]


def _registry(engine: sa.Engine, profile: str = "prod", folder: Path = Path()) -> Registry:
    return Registry(Store(engine), profile=profile, model_store=str(folder))


def test_rollback_walks_back_through_champions_and_skips_pruned_ones(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        v1, v2, v3, v4 = _versions(conn, 4)
    prod = _registry(engine)
    for version in (v1, v2, v3):
        prod.promote(version, reason="test")
    assert prod.rollback("f1").new == v2
    assert prod.rollback("f1").new == v1  # further back, not back to v3
    with pytest.raises(ConflictError, match="no earlier champion"):
        prod.rollback("f1")
    prod.promote(v4, reason="test")
    move = prod.rollback("f1")
    assert (move.old, move.new) == (v4, v1)
    alias = prod.alias("f1", CHAMPION)
    assert alias is not None and alias.id == v1


def test_rollback_is_per_profile(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        v1, v2 = _versions(conn, 2)
    prod, dev = _registry(engine), _registry(engine, "dev")
    prod.promote(v1, reason="test")
    prod.promote(v2, reason="test")
    dev.promote(v2, reason="test")
    with pytest.raises(ConflictError):
        dev.rollback("f1")
    with pytest.raises(NotFoundError, match="no champion in profile 'staging'"):
        _registry(engine, "staging").rollback("f1")
    assert prod.rollback("f1").new == v1
    with engine.connect() as conn:
        assert get_alias(conn, "f1", "dev", CHAMPION) == v2


def test_prune_keeps_the_newest_and_everything_referenced(
    engine: sa.Engine, tmp_path: Path
) -> None:
    with engine.begin() as conn:
        ids = _versions(conn, 6, folder=tmp_path)
        other = _versions(conn, 2, forecaster="f2", folder=tmp_path)
        for version in [*ids, *other]:
            path = (
                tmp_path
                / f"{'f1' if version in ids else 'f2'}-{[*ids, *other].index(version) % 6}.pkl"
            )
            path.write_bytes(b"model")
        frame = pd.DataFrame(
            {
                "unique_id": ["a"],
                "origin": [pd.Timestamp(START)],
                "ds": [pd.Timestamp(START) + HOUR],
                "step": [1],
                "yhat": [1.0],
            }
        )
        upsert_forecasts(
            conn, "f1", frame, model_version_id=ids[1], run_id=None, issued_at=datetime.now(UTC)
        )
    _registry(engine, "dev").promote(ids[0], reason="old champion of another profile")
    registry = _registry(engine, folder=tmp_path)
    assert registry.prune(keep=2, dry_run=True) == ids[2:4]
    assert registry.prune(keep=2) == ids[2:4]
    with engine.connect() as conn:
        left = {int(v) for v in conn.execute(sa.text("SELECT id FROM model_versions")).scalars()}
    assert left == {ids[0], ids[1], ids[4], ids[5], *other}
    assert not (tmp_path / "f1-2.pkl").exists() and not (tmp_path / "f1-3.pkl").exists()
    assert (tmp_path / "f1-4.pkl").exists() and (tmp_path / "f1-0.pkl").exists()


def test_prune_keeps_a_file_another_version_still_uses(engine: sa.Engine, tmp_path: Path) -> None:
    shared = tmp_path / "same-bytes.pkl"
    shared.write_bytes(b"model")
    with engine.begin() as conn:
        old = add_version(conn, "f1", artifact_path=str(shared))
        add_version(conn, "f1", artifact_path=str(shared))
    assert _registry(engine, folder=tmp_path).prune(keep=1) == [old]
    assert shared.exists()


def test_a_lease_has_one_holder_until_released_or_expired(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        assert acquire_lock(conn, "train:prod:f1", "a", ttl=HOUR).owner == "a"
    with engine.begin() as conn:
        taken = acquire_lock(conn, "train:prod:f1", "b", ttl=HOUR)
        assert taken.owner == "a"
        assert not renew_lock(conn, "train:prod:f1", "b", ttl=HOUR)
        assert not release_lock(conn, "train:prod:f1", "b")
        assert renew_lock(conn, "train:prod:f1", "a", ttl=HOUR)
        assert acquire_lock(conn, "train:prod:f2", "b", ttl=HOUR).owner == "b"  # other name
        assert release_lock(conn, "train:prod:f1", "a")
        assert acquire_lock(conn, "train:prod:f1", "b", ttl=HOUR).owner == "b"
        # a holder that died: its lease lapses and the next one takes over
        conn.execute(
            sa.update(locks)
            .where(locks.c.name == "train:prod:f1")
            .values(expires_at=datetime.now(UTC) - HOUR)
        )
        assert acquire_lock(conn, "train:prod:f1", "c", ttl=HOUR).owner == "c"

"""The series summary: maintained by every load in its transaction, equal at every point to
the aggregate over the stored observations, back-filled by migration 0007, paged and
searched without reading observations; on SQLite and PostgreSQL."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from prevoir.storage.engine import create_store_engine, upgrade_schema
from prevoir.storage.observations import list_series, upsert_observations
from prevoir.storage.series_summary import recount, series_page
from prevoir.storage.tables import observations, series, series_summary
from tests.integration.test_storage_observations import T0, make_frame

COLUMNS = ["dataset", "unique_id", "variable", "n_obs", "first_ds", "last_ds"]


def summary(conn: sa.Connection) -> pd.DataFrame:
    """The maintained summary in ``list_series``' shape (every series, sorted)."""
    return series_page(conn, limit=10**6).rows[COLUMNS].reset_index(drop=True)


def aggregate(conn: sa.Connection) -> pd.DataFrame:
    """The same numbers aggregated over every stored observation."""
    return list_series(conn)[COLUMNS].reset_index(drop=True)


def check(engine: sa.Engine) -> pd.DataFrame:
    with engine.connect() as conn:
        maintained, truth = summary(conn), aggregate(conn)
    pd.testing.assert_frame_equal(maintained, truth)
    return maintained


def test_appends_backfills_corrections_and_replays_keep_the_summary_exact(
    engine: sa.Engine,
) -> None:
    steps = [
        make_frame(hours=6),  # first load
        make_frame(hours=2, start=6),  # the hourly job: appends only
        make_frame(("c", "a"), hours=3, start=8),  # a new series and more appends
        make_frame(hours=4, start=-4),  # history before the first row
        make_frame(hours=3, start=2).assign(y=-1.0),  # corrections inside the span
        make_frame(hours=12, start=-4),  # a replay overlapping everything
    ]
    for frame in steps:
        with engine.begin() as conn:
            upsert_observations(conn, "shop", frame, ["y", "x"])
        check(engine)
    with engine.begin() as conn:
        gappy = make_frame(("a",), hours=1, start=30).assign(y=np.nan)  # NULL rows count
        upsert_observations(conn, "shop", gappy, ["y"])
        upsert_observations(conn, "other", make_frame(("a",), hours=2), ["y"])
    final = check(engine)
    a_y = final[(final["dataset"] == "shop") & (final["unique_id"] == "a")]
    assert a_y[a_y["variable"] == "y"][["n_obs"]].to_numpy().tolist() == [[16]]
    assert a_y["last_ds"].max() == T0 + pd.Timedelta(hours=30)


def test_a_replay_that_changes_nothing_writes_no_summary_row(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        upsert_observations(conn, "shop", make_frame(), ["y"])
        conn.execute(sa.update(series_summary).values(n_obs=999))  # would be rewritten
        upsert_observations(conn, "shop", make_frame(), ["y"])
        assert set(conn.execute(sa.select(series_summary.c.n_obs)).scalars()) == {999}


def test_a_failed_load_leaves_the_summary_as_it_was(engine: sa.Engine) -> None:
    with engine.begin() as conn:
        upsert_observations(conn, "shop", make_frame(), ["y"])
    before = check(engine)
    with pytest.raises(RuntimeError, match="boom"), engine.begin() as conn:
        upsert_observations(conn, "shop", make_frame(hours=5, start=6), ["y"])
        raise RuntimeError("boom")
    pd.testing.assert_frame_equal(check(engine), before)


def test_recount_after_rows_are_deleted(engine: sa.Engine) -> None:
    """What an observation delete calls: the summary follows, a series left empty shows 0."""
    with engine.begin() as conn:
        upsert_observations(conn, "shop", make_frame(), ["y"])
        ids = [int(i) for i in conn.execute(sa.select(series.c.id)).scalars()]
        conn.execute(sa.delete(observations).where(observations.c.series_id == ids[0]))
        conn.execute(
            sa.delete(observations).where(
                observations.c.series_id == ids[1], observations.c.ds < T0 + pd.Timedelta(hours=3)
            )
        )
        recount(conn, ids)
    shown = check(engine)
    assert sorted(shown["n_obs"]) == [0, 3]
    with engine.begin() as conn:  # and a load into the emptied series counts from scratch
        upsert_observations(conn, "shop", make_frame(), ["y"])
    assert sorted(check(engine)["n_obs"]) == [6, 6]


def test_migration_0007_backfills_the_summary(db_url: str) -> None:
    engine = create_store_engine(db_url)
    try:
        upgrade_schema(engine, "0005")
        with engine.begin() as conn:
            conn.execute(
                sa.insert(series),
                [{"dataset": "shop", "unique_id": u, "variable": "y"} for u in ("a", "b", "e")],
            )
            ids = dict(conn.execute(sa.select(series.c.unique_id, series.c.id)).all())
            rows = [
                {"series_id": ids[u], "ds": T0 + pd.Timedelta(hours=h), "value": float(h)}
                for u, hours in (("a", 5), ("b", 2))
                for h in range(hours)
            ]
            conn.execute(sa.insert(observations), rows)
        upgrade_schema(engine)
        shown = check(engine)
        assert shown["n_obs"].tolist() == [5, 2, 0]  # "e" has no rows: 0, no times
        assert shown["last_ds"].isna().tolist() == [False, False, True]
    finally:
        engine.dispose()


def test_pages_and_search(engine: sa.Engine) -> None:
    ids = (*(f"counter-{i:03d}" for i in range(250)), "Fremont", "fremont_x%")
    with engine.begin() as conn:
        upsert_observations(conn, "bikes", make_frame(ids, hours=2), ["y", "x"])
        upsert_observations(conn, "weather", make_frame(("sea",), hours=2), ["y"])
        first = series_page(conn, limit=100)
        assert first.total == 253
        assert first.rows["unique_id"].nunique() == 100
        assert len(first.rows) == 200  # both variables of each series
        last = series_page(conn, limit=100, offset=200)
        assert last.rows.drop_duplicates(["dataset", "unique_id"])["unique_id"].tolist()[-1] == (
            "sea"
        )
        assert series_page(conn, offset=10_000).rows.empty
        found = series_page(conn, q="FREMONT")
        assert sorted(found.rows["unique_id"].unique()) == ["Fremont", "fremont_x%"]
        assert series_page(conn, q="x%").rows["unique_id"].unique().tolist() == ["fremont_x%"]
        assert series_page(conn, q="_").total == 1  # LIKE wildcards are literal
        assert series_page(conn, q="-24", dataset="bikes").total == 10  # counter-240 to 249
        only_x = series_page(conn, dataset="bikes", variable="x", limit=5)
        assert set(only_x.rows["variable"]) == {"x"} and len(only_x.rows) == 5

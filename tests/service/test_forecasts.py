"""Forecasts through the API: publish, read the latest and a range of origins, on SQLite and
PostgreSQL; and one prevoir publishing its forecasts into another."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from prevoir.domain.records import CHAMPION
from prevoir.storage.forecasts import upsert_forecasts
from prevoir.storage.model_versions import set_alias
from tests.integration.helpers import add_version
from tests.service.conftest import Service

API = "/api/v1"
T0 = datetime(2024, 5, 1, tzinfo=UTC)


def _rows(origin: datetime, *, base: float, uid: str = "fremont", steps: int = 3) -> list[dict]:
    return [
        {
            "unique_id": uid,
            "origin": origin.isoformat(),
            "ds": (origin + timedelta(hours=step)).isoformat(),
            "step": step,
            "yhat": base + step,
            "intervals": {"80": [base + step - 1, base + step + 1]} if step < 3 else None,
        }
        for step in range(1, steps + 1)
    ]


def _post(service: Service, rows: list[dict[str, Any]], forecaster: str = "ext") -> Any:
    return service.client.post(
        f"{API}/forecasts/{forecaster}", json={"rows": rows}, headers=service.auth("wendy")
    )


def test_publish_then_read_latest_and_history(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url, external_forecasters=["ext"])
    batch = _rows(T0, base=10) + _rows(T0 + timedelta(hours=1), base=20)
    batch += _rows(T0 + timedelta(hours=2), base=30) + _rows(T0, base=0, uid="other")
    first = _post(service, batch)
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 12, "changed": 12}
    assert _post(service, batch).json() == {"rows": 12, "changed": 0}  # idempotent

    latest = service.client.get(f"{API}/forecasts/ext/fremont/latest", headers=service.auth("rita"))
    assert latest.status_code == 200
    body = latest.json()
    assert body["origin"].startswith("2024-05-01T02:00:00")
    assert body["model_version"] is None
    assert [(p["step"], p["yhat"]) for p in body["points"]] == [(1, 31.0), (2, 32.0), (3, 33.0)]
    assert body["points"][0]["intervals"] == {"80": [30.0, 32.0]}
    assert body["points"][2]["intervals"] == {}
    assert body["points"][0]["ds"].startswith("2024-05-01T03:00:00")

    history = service.client.get(
        f"{API}/forecasts/ext/fremont",
        params={"origin_to": "2024-05-01T01:30:00Z", "limit": 5},
        headers=service.auth("rita"),
    ).json()
    assert [h["origin"][:19] for h in history] == ["2024-05-01T00:00:00", "2024-05-01T01:00:00"]
    assert [p["yhat"] for p in history[1]["points"]] == [21.0, 22.0, 23.0]
    newest_two = service.client.get(
        f"{API}/forecasts/ext/fremont", params={"limit": 2}, headers=service.auth("rita")
    ).json()
    assert [h["origin"][:13] for h in newest_two] == ["2024-05-01T01", "2024-05-01T02"]
    none = service.client.get(
        f"{API}/forecasts/ext/fremont",
        params={"origin_from": "2025-01-01T00:00:00Z"},
        headers=service.auth("rita"),
    )
    assert none.json() == []
    missing = service.client.get(f"{API}/forecasts/ext/nope/latest", headers=service.auth("rita"))
    assert missing.status_code == 404


def test_a_changed_forecast_is_rewritten_and_a_known_version_recorded(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url, external_forecasters=["ext"])
    with service.engine.begin() as conn:
        version = add_version(conn, "fremont_total")
    rows = _rows(T0, base=10)
    assert _post(service, rows, "fremont_total").json()["changed"] == 3
    rows[0]["yhat"] = 99.0
    for row in rows:
        row["model_version_id"] = version
    assert _post(service, rows, "fremont_total").json()["changed"] == 3  # version is news too
    latest = service.client.get(
        f"{API}/forecasts/fremont_total/fremont/latest", headers=service.auth("rita")
    ).json()
    assert latest["model_version"] == version
    assert latest["points"][0]["yhat"] == 99.0


def test_bad_forecast_rows_are_422_with_their_location(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url, external_forecasters=["ext"])
    good, second = _rows(T0, base=1, steps=2)
    cases = [
        ({**second, "ds": second["origin"]}, ["body", "rows", 1, "ds"]),  # not after its origin
        ({**second, "step": 0}, ["body", "rows", 1, "step"]),
        ({**second, "yhat": "high"}, ["body", "rows", 1, "yhat"]),
        ({**second, "origin": "2024-05-01T00:00:00"}, ["body", "rows", 1, "origin"]),  # naive
        ({**second, "origin": "0001-01-01T00:00:00Z"}, ["body", "rows", 1, "origin"]),
        ({**second, "intervals": {"80": [1.0]}}, ["body", "rows", 1, "intervals", "80"]),
        ({**second, "intervals": {"eighty": [1.0, 2.0]}}, ["body", "rows", 1, "intervals"]),
        ({**second, "model_version_id": 12345}, ["body", "rows", 1, "model_version_id"]),
        ({**second, "colour": "red"}, ["body", "rows", 1, "colour"]),
        (good, ["body", "rows", 1, "step"]),  # repeats row 0's key
    ]
    for bad, loc in cases:
        response = _post(service, [good, bad])
        assert response.status_code == 422, bad
        locs = [e["loc"][: len(loc)] for e in response.json()["detail"]]
        assert loc in locs, response.json()
    missing = service.client.get(
        f"{API}/forecasts/ext/fremont/latest", headers=service.auth("rita")
    )
    assert missing.status_code == 404  # the good rows of refused batches were not stored


def test_forecasters_show_their_champion(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url, external_forecasters=["ext"])
    with service.engine.begin() as conn:
        version = add_version(conn, "fremont_total")
        set_alias(conn, "fremont_total", service.settings.profile, CHAMPION, version)
    listed = service.client.get(f"{API}/forecasters", headers=service.auth("rita")).json()
    by_name = {f["name"]: f for f in listed}
    assert set(by_name) == set(service.settings.forecasters)
    total = by_name["fremont_total"]
    assert (total["dataset"], total["target"], total["champion"]) == ("fremont", "total", version)
    assert total["horizons"] == list(range(1, 25))
    assert by_name["fremont_weekly_naive"]["champion"] is None


def test_one_prevoir_publishes_into_another(
    service_client: Callable[..., Service], db_url: str, tmp_path: Path
) -> None:
    """Forecasts made by the pipeline of one prevoir, read from its API and POSTed into a
    second one, come out of the second's ``latest`` unchanged (bar the model version, which
    only means something in the store that trained it)."""
    source = service_client(db_url, external_forecasters=["ext"])
    target = service_client(f"sqlite:///{tmp_path}/target.db")
    origin = pd.Timestamp(T0)
    frame = pd.DataFrame(
        {
            "unique_id": "fremont",
            "origin": origin,
            "ds": [origin + pd.Timedelta(hours=h) for h in range(1, 25)],
            "step": range(1, 25),
            "yhat": [100.0 + h / 3 for h in range(1, 25)],
            "yhat_lo_80": [90.0 + h for h in range(1, 25)],
            "yhat_hi_80": [110.0 + h for h in range(1, 25)],
        }
    )
    with source.engine.begin() as conn:
        version = add_version(conn, "fremont_total")
        upsert_forecasts(conn, "fremont_total", frame, model_version_id=version, run_id=None)
    published = source.client.get(
        f"{API}/forecasts/fremont_total/fremont/latest", headers=source.auth("rita")
    ).json()
    assert published["model_version"] == version
    rows = [
        {
            "unique_id": published["unique_id"],
            "origin": published["origin"],
            **{k: point[k] for k in ("ds", "step", "yhat", "intervals")},
        }
        for point in published["points"]
    ]
    posted = target.client.post(
        f"{API}/forecasts/fremont_total", json={"rows": rows}, headers=target.auth("wendy")
    )
    assert posted.json() == {"rows": 24, "changed": 24}
    received = target.client.get(
        f"{API}/forecasts/fremont_total/fremont/latest", headers=target.auth("rita")
    ).json()
    assert received == {**published, "model_version": None}


def test_only_declared_forecasters_are_accepted_and_own_forecasts_never_overwritten(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url, external_forecasters=["ext"])
    undeclared = _post(service, _rows(T0, base=1), "typo_forecaster")
    assert undeclared.status_code == 404
    assert "accepted: ext, fremont_total, fremont_weekly_naive" in undeclared.text
    own = pd.DataFrame({"unique_id": "fremont", "origin": pd.Timestamp(T0), "step": [1, 2]}).assign(
        ds=lambda f: f["origin"] + pd.to_timedelta(f["step"], unit="h"), yhat=5.0
    )
    with service.engine.begin() as conn:
        upsert_forecasts(conn, "fremont_total", own, model_version_id=None, run_id=7)
    # the batch overlaps one issued step (and adds a new origin): refused whole
    batch = _rows(T0 + timedelta(hours=5), base=1) + _rows(T0, base=1, steps=3)[1:]
    refused = _post(service, batch, "fremont_total")
    assert refused.status_code == 409, refused.text
    assert "from run 7" in refused.text and "nothing was written" in refused.text
    with service.engine.connect() as conn:
        stored = conn.exec_driver_sql(
            "SELECT step, yhat, run_id FROM forecasts ORDER BY origin, step"
        ).all()
    assert [tuple(r) for r in stored] == [(1, 5.0, 7), (2, 5.0, 7)]
    # steps prevoir did not issue may be published beside its own
    extra = _post(service, _rows(T0, base=1, steps=3)[2:], "fremont_total")
    assert extra.status_code == 200 and extra.json()["changed"] == 1

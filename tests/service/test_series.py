"""Series and observations through the API, on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from tests.service.conftest import Service, dashboard_login

API = "/api/v1"
ROWS = [
    {"unique_id": "fremont", "ds": "2024-05-01T00:00:00Z", "total": 10.0, "west": 4.0},
    {"unique_id": "fremont", "ds": "2024-05-01T01:00:00+00:00", "total": 12.5, "west": None},
    {"unique_id": "fremont", "ds": "2024-05-01T04:00:00+02:00", "total": 7.0},  # 02:00 UTC
    {"unique_id": "other", "ds": "2024-05-01T00:00:00Z", "east": 3.0},
]


def _post(service: Service, rows: list[dict[str, Any]], user: str = "wendy") -> Any:
    return service.client.post(
        f"{API}/observations/fremont", json={"rows": rows}, headers=service.auth(user)
    )


def test_observations_round_trip_and_replay(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    first = _post(service, ROWS)
    assert first.status_code == 200, first.text
    assert first.json() == {"rows": 4, "changed": 6}
    replay = _post(service, ROWS)
    assert replay.json() == {"rows": 4, "changed": 0}

    listed = service.client.get(f"{API}/series?dataset=fremont", headers=service.auth("rita"))
    assert listed.status_code == 200
    assert listed.headers["X-Total-Count"] == "2"
    by_id = {s["unique_id"]: s for s in listed.json()}
    assert by_id["fremont"]["variables"] == ["total", "west"]
    assert by_id["fremont"]["rows"] == 3
    assert by_id["fremont"]["first"].startswith("2024-05-01T00:00:00")
    assert by_id["fremont"]["last"].startswith("2024-05-01T02:00:00")
    assert by_id["other"]["variables"] == ["east"]
    page = service.client.get(f"{API}/series?limit=1&offset=1", headers=service.auth("rita"))
    assert [s["unique_id"] for s in page.json()] == ["other"]

    got = service.client.get(
        f"{API}/series/fremont/fremont/observations", headers=service.auth("rita")
    ).json()
    assert got["variables"] == ["total", "west"]
    assert [(r["total"], r["west"]) for r in got["rows"]] == [
        (10.0, 4.0),
        (12.5, None),
        (7.0, None),
    ]
    assert got["rows"][2]["ds"].startswith("2024-05-01T02:00:00")

    window = service.client.get(
        f"{API}/series/fremont/fremont/observations",
        params={"variable": "total", "start": "2024-05-01T01:00:00Z", "limit": 1},
        headers=service.auth("rita"),
    ).json()
    assert window["variables"] == ["total"]
    assert window["rows"] == [
        {"unique_id": "fremont", "ds": window["rows"][0]["ds"], "total": 12.5}
    ]
    newest = service.client.get(
        f"{API}/series/fremont/fremont/observations",
        params={"variable": "total", "limit": 2, "order": "desc"},
        headers=service.auth("rita"),
    ).json()
    assert [r["total"] for r in newest["rows"]] == [7.0, 12.5]  # newest first
    assert newest["rows"][0]["ds"].startswith("2024-05-01T02:00:00")
    # the rows of a GET are a valid POST body: posting them back changes nothing (the third
    # row's west is null because nothing is stored; posting that null would store one)
    assert _post(service, got["rows"][:2]).json() == {"rows": 2, "changed": 0}


def test_a_row_without_a_variable_or_with_null_keeps_its_stored_value(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    _post(service, ROWS[:1])
    # a null says "missing", not "erase": only total changes (DELETE removes values)
    assert _post(service, [{**ROWS[0], "west": None, "total": 11.0}]).json()["changed"] == 1
    assert (
        _post(service, [{"unique_id": "fremont", "ds": ROWS[0]["ds"], "total": 1.0}]).json()[
            "changed"
        ]
        == 1
    )
    rows = service.client.get(
        f"{API}/series/fremont/fremont/observations", headers=service.auth("rita")
    ).json()["rows"]
    assert [(r["total"], r["west"]) for r in rows] == [(1.0, ROWS[0]["west"])]


def test_unknown_dataset_series_and_variable_are_404(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    _post(service, ROWS)
    missing = service.client.post(
        f"{API}/observations/nope", json={"rows": ROWS}, headers=service.auth("wendy")
    )
    assert missing.status_code == 404
    assert "fremont" in missing.json()["detail"]  # names the known datasets
    for path in ("series/fremont/nope/observations", "series/fremont/fremont/observations"):
        params = {"variable": "east"} if path.endswith("fremont/observations") else {}
        got = service.client.get(f"{API}/{path}", params=params, headers=service.auth("rita"))
        assert got.status_code == 404, path


def test_malformed_rows_are_422_with_their_location_and_nothing_is_stored(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    good = ROWS[0]
    cases = [
        ({"unique_id": "fremont", "total": 1.0}, ["body", "rows", 1, "ds"]),
        ({**good, "ds": "2024-05-01T00:00:00"}, ["body", "rows", 1, "ds"]),  # naive
        ({**good, "ds": "9999-05-01T00:00:00Z"}, ["body", "rows", 1, "ds"]),  # beyond pandas
        ({**good, "total": "many"}, ["body", "rows", 1, "total"]),
        ({**good, "unique_id": ""}, ["body", "rows", 1, "unique_id"]),
        ({**good, "rain": 1.0}, ["body", "rows", 1, "rain"]),  # not a value of the dataset
        ({"unique_id": "fremont", "ds": "2024-05-02T00:00:00Z"}, ["body", "rows", 1]),  # no value
        (good, ["body", "rows", 1, "ds"]),  # repeats row 0
    ]
    for bad, loc in cases:
        response = _post(service, [good, bad])
        assert response.status_code == 422, bad
        assert loc in [e["loc"] for e in response.json()["detail"]], response.json()
    assert _post(service, []).json() == {"rows": 0, "changed": 0}
    listed = service.client.get(f"{API}/series", headers=service.auth("rita"))
    assert listed.json() == []  # every refused batch wrote nothing, not even its good row


def test_row_cap_and_byte_cap(service_client: Callable[..., Service], tmp_path: Any) -> None:
    service = service_client(f"sqlite:///{tmp_path}/store.db", service={"max_body_bytes": 8192})
    big = [dict(ROWS[0], ds=f"2024-05-01T00:00:{i % 60:02d}Z") for i in range(200)]
    response = _post(service, big)
    assert response.status_code == 413
    assert "Content Too Large" in response.text

    roomy = service_client(f"sqlite:///{tmp_path}/other.db", service={"max_body_bytes": 10**8})
    row = '{"unique_id": "a", "ds": "2024-01-01T00:00:00Z", "total": 1}'
    body = '{"rows": [' + ", ".join([row] * 100_001) + "]}"
    response = roomy.client.post(
        f"{API}/observations/fremont",
        content=body,
        headers={**roomy.auth("wendy"), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    error = response.json()["detail"][0]
    assert error["loc"] == ["body", "rows"]
    assert "100,001 rows in one request; the limit is 100,000" in error["msg"]


def _delete(service: Service, user: str, **params: str) -> Any:
    return service.client.delete(
        f"{API}/series/fremont/fremont/observations", params=params, headers=service.auth(user)
    )


def test_an_admin_undoes_a_bad_push_and_the_deletion_is_recorded(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    _post(service, ROWS)
    window = {"start": "2024-05-01T01:00:00Z", "end": "2024-05-01T02:00:00Z"}
    assert _delete(service, "wendy", reason="bad push", **window).status_code == 403
    assert _delete(service, "alice", **window).status_code == 422  # a reason is required
    backwards = _delete(service, "alice", reason="x", start=window["end"], end=window["start"])
    assert backwards.status_code == 422 and "swap start and end" in backwards.text
    unknown = _delete(service, "alice", reason="x", variable="east")
    assert unknown.status_code == 404 and "has no variable 'east'" in unknown.text

    done = _delete(service, "alice", reason="counter glitch", variable="total", **window)
    assert done.status_code == 200, done.text
    record = done.json()
    assert (record["rows"], record["variable"], record["deleted_by"]) == (2, "total", "api:alice")
    assert record["reason"] == "counter glitch"
    rows = service.client.get(
        f"{API}/series/fremont/fremont/observations", headers=service.auth("rita")
    ).json()["rows"]
    # total at 01:00 and 02:00 gone; west (a stored null at 01:00) and the other series stay
    assert [(r["ds"][:16], r["total"], r["west"]) for r in rows] == [
        ("2024-05-01T00:00", 10.0, 4.0),
        ("2024-05-01T01:00", None, None),
    ]
    with service.engine.connect() as conn:
        recorded = conn.exec_driver_sql(
            "SELECT unique_id, variable, rows, deleted_by, reason FROM observation_deletions"
        ).all()
        other = conn.exec_driver_sql(
            "SELECT count(*) FROM observations o JOIN series s ON s.id = o.series_id "
            "WHERE s.unique_id = 'other'"
        ).scalar_one()
    assert [tuple(r) for r in recorded] == [("fremont", "total", 2, "api:alice", "counter glitch")]
    assert other == 1
    listed = service.client.get(f"{API}/series?dataset=fremont", headers=service.auth("rita"))
    by_id = {s["unique_id"]: s for s in listed.json()}
    assert by_id["fremont"]["rows"] == 2  # west's two rows now lead; total kept one
    assert by_id["fremont"]["last"].startswith("2024-05-01T01:00:00")


def test_series_list_pages_and_searches_on_the_server(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    rows = [
        {"unique_id": f"counter-{i:02d}", "ds": "2024-05-01T00:00:00Z", "total": float(i)}
        for i in range(30)
    ] + [{"unique_id": "counter-07", "ds": "2024-05-01T01:00:00Z", "total": 1.0}]
    assert _post(service, rows).status_code == 200
    reader = service.auth("rita")
    page = service.client.get(f"{API}/series", params={"limit": 10, "offset": 5}, headers=reader)
    assert page.headers["X-Total-Count"] == "30"
    body = page.json()
    assert [s["unique_id"] for s in body] == [f"counter-{i:02d}" for i in range(5, 15)]
    seven = body[2]
    assert seven["rows"] == 2 and seven["last"].startswith("2024-05-01T01:00")
    found = service.client.get(f"{API}/series", params={"q": "R-2"}, headers=reader)
    assert found.headers["X-Total-Count"] == "10"
    assert [s["unique_id"] for s in found.json()][:2] == ["counter-20", "counter-21"]
    # the dashboard's picker asks the same summary
    assert dashboard_login(service.client, "rita", "correct horse battery").status_code == 200
    picked = service.client.get(
        "/dashboard/data/series", params={"forecaster": "fremont_total", "q": "-1"}
    )
    assert picked.json() == {"ids": [f"counter-{i}" for i in range(10, 20)], "total": 10}

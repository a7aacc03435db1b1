"""The model registry through the API: list, show, promote and roll back the champion."""

from __future__ import annotations

from collections.abc import Callable

from prevoir.domain.records import CHAMPION
from prevoir.storage.model_versions import get_alias, list_alias_history
from tests.integration.helpers import add_version
from tests.service.conftest import Service

API = "/api/v1"


def test_promote_and_rollback_move_the_champion(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    profile = service.settings.profile
    with service.engine.begin() as conn:
        first = add_version(conn, "fremont_total", metrics={"mae": 3.5})
        second = add_version(conn, "fremont_total", metrics={"mae": 2.5})
        other = add_version(conn, "fremont_weekly_naive")
    admin = service.auth("alice")

    listed = service.client.get(
        f"{API}/models", params={"forecaster": "fremont_total"}, headers=admin
    )
    assert [v["id"] for v in listed.json()] == [first, second]
    assert listed.json()[0]["metrics"] == {"mae": 3.5}

    promoted = service.client.post(f"{API}/models/{first}/promote", headers=admin)
    assert promoted.status_code == 200, promoted.text
    assert promoted.json() == {
        "forecaster": "fremont_total",
        "alias": CHAMPION,
        "old": None,
        "new": first,
    }
    reason = {"reason": "better on the holdout"}
    promoted = service.client.post(f"{API}/models/{second}/promote", json=reason, headers=admin)
    assert promoted.json()["old"] == first
    with service.engine.connect() as conn:
        assert get_alias(conn, "fremont_total", profile, CHAMPION) == second
        history = list_alias_history(conn, "fremont_total", profile, CHAMPION)
    assert [h.reason for h in history] == [
        "promoted through the API by alice",
        "better on the holdout",
    ]
    shown = service.client.get(f"{API}/models/{second}", headers=service.auth("rita")).json()
    assert shown["aliases"] == [f"{profile}:{CHAMPION}"]
    assert shown["forecaster"] == "fremont_total"

    back = service.client.post(f"{API}/models/fremont_total/rollback", headers=admin)
    assert back.status_code == 200, back.text
    assert (back.json()["old"], back.json()["new"]) == (second, first)
    with service.engine.connect() as conn:
        assert get_alias(conn, "fremont_total", profile, CHAMPION) == first
        assert get_alias(conn, "fremont_weekly_naive", profile, CHAMPION) is None
    again = service.client.post(f"{API}/models/fremont_total/rollback", headers=admin)
    assert again.status_code == 409  # nothing earlier than the first champion
    assert other not in {v["id"] for v in listed.json()}


def test_unknown_versions_and_forecasters_are_404(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(db_url)
    admin = service.auth("alice")
    assert service.client.get(f"{API}/models/999", headers=admin).status_code == 404
    assert service.client.post(f"{API}/models/999/promote", headers=admin).status_code == 404
    unknown = service.client.post(f"{API}/models/nope/rollback", headers=admin)
    assert unknown.status_code == 404
    assert "fremont_total" in unknown.json()["detail"]
    no_champion = service.client.post(f"{API}/models/fremont_total/rollback", headers=admin)
    assert no_champion.status_code == 404
    assert service.client.get(f"{API}/models", headers=admin).json() == []

"""Who may call the data API: 401 without credentials, 403 below the needed role."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from prevoir.domain.records import CHAMPION
from prevoir.storage.model_versions import get_alias
from tests.integration.helpers import add_version
from tests.service.conftest import PASSWORD, Service

API = "/api/v1"
OBSERVATION = {"unique_id": "a", "ds": "2024-05-01T00:00:00Z", "total": 1.0}
FORECAST = {
    "unique_id": "a",
    "origin": "2024-05-01T00:00:00Z",
    "ds": "2024-05-01T01:00:00Z",
    "step": 1,
    "yhat": 1.0,
}
READS = [
    "/series",
    "/series/fremont/a/observations",
    "/forecasters",
    "/forecasts/ext/a/latest",
    "/forecasts/ext/a",
    "/models",
    "/models/1",
]


@pytest.fixture
def service(service_client: Callable[..., Service], tmp_path: Path) -> Service:
    """One SQLite service for the whole module's checks (access does not depend on the
    backend: the role check runs before any handler touches the store)."""
    return service_client(f"sqlite:///{tmp_path}/store.db", external_forecasters=["ext"])


def test_every_endpoint_needs_credentials(service: Service) -> None:
    calls = [("GET", path, None) for path in READS]
    calls += [
        ("POST", "/observations/fremont", {"rows": [OBSERVATION]}),
        ("POST", "/forecasts/ext", {"rows": [FORECAST]}),
        ("POST", "/models/1/promote", None),
        ("POST", "/models/fremont_total/rollback", None),
    ]
    for method, path, body in calls:
        response = service.client.request(method, API + path, json=body)
        assert response.status_code == 401, path
        assert response.headers["WWW-Authenticate"] == "Bearer"
        forged = service.client.request(
            method, API + path, json=body, headers={"Authorization": "Bearer not-a-token"}
        )
        assert forged.status_code == 401, path


def test_roles_gate_writes_and_admin_actions(service: Service) -> None:
    with service.engine.begin() as conn:
        first = add_version(conn, "fremont_total")
        second = add_version(conn, "fremont_total")
    writes = [
        ("/observations/fremont", {"rows": [OBSERVATION]}),
        ("/forecasts/ext", {"rows": [FORECAST]}),
    ]
    for path, body in writes:
        refused = service.client.post(API + path, json=body, headers=service.auth("rita"))
        assert refused.status_code == 403, path
        assert "'write'" in refused.json()["detail"]
        assert service.client.post(API + path, json=body, headers=service.auth("wendy")).is_success
    admin_only = [f"/models/{first}/promote", "/models/fremont_total/rollback"]
    for path in admin_only:
        for user in ("rita", "wendy"):
            refused = service.client.post(API + path, headers=service.auth(user))
            assert refused.status_code == 403, (path, user)
    with service.engine.connect() as conn:
        assert get_alias(conn, "fremont_total", service.settings.profile, CHAMPION) is None
    # a token from the password flow is as good as the fixture's
    token = service.client.post(
        f"{API}/token", data={"username": "alice", "password": PASSWORD}
    ).json()["access_token"]
    moved = service.client.post(
        f"{API}/models/{second}/promote", headers={"Authorization": f"Bearer {token}"}
    )
    assert moved.json()["new"] == second
    for path in READS:
        response = service.client.get(API + path, headers=service.auth("rita"))
        assert response.status_code in (200, 404), path

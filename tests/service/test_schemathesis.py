"""Property-based run of the API's own OpenAPI schema: no generated request gets a 5xx.

Schemathesis generates valid and invalid requests for every operation of the app's schema
and sends them authenticated as the admin; ``not_a_server_error`` fails the test on any 5xx.
Runs on SQLite with a bounded number of examples per operation so it stays well under a
minute on a busy two-core box. ``POST /token`` (an argon2 hash per call, a second each here),
``/logout`` (it would revoke the admin's token) and ``/runs`` (starts pipeline runs) are left
out.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from prevoir.storage.forecasts import upsert_forecasts
from prevoir.storage.observations import upsert_observations
from tests.integration.helpers import add_version
from tests.service.conftest import Service

pytestmark = pytest.mark.slow

MAX_EXAMPLES = 12


@pytest.fixture
def seeded(service_client: Callable[..., Service], tmp_path: Path) -> Service:
    """A service on SQLite with one series, one forecast and one model version stored."""
    service = service_client(f"sqlite:///{tmp_path}/store.db")
    t0 = pd.Timestamp(datetime(2024, 5, 1, tzinfo=UTC))
    obs = pd.DataFrame({"unique_id": "fremont", "ds": [t0], "total": [1.0]})
    fc = pd.DataFrame(
        {"unique_id": "fremont", "origin": t0, "ds": [t0 + pd.Timedelta(hours=1)], "step": 1}
    ).assign(yhat=2.0)
    with service.engine.begin() as conn:
        upsert_observations(conn, "fremont", obs, ["total"])
        version = add_version(conn, "fremont_total")
        upsert_forecasts(conn, "fremont_total", fc, model_version_id=version, run_id=None)
    return service


@pytest.fixture
def api_schema(seeded: Service) -> schemathesis.schemas.BaseSchema:
    """The app's OpenAPI schema, bound to the app itself (requests go through ASGI)."""
    schema = schemathesis.openapi.from_asgi(
        "/openapi.json", seeded.client.app, headers=seeded.auth("rita")
    )
    # /logout would revoke the admin token every later case sends
    return (
        schema.exclude(path="/api/v1/token")
        .exclude(path="/api/v1/logout")
        .exclude(path_regex=r"^/api/v1/runs")
    )


def test_no_server_errors(api_schema: schemathesis.schemas.BaseSchema, seeded: Service) -> None:
    """Every operation, ``MAX_EXAMPLES`` generated cases each (hypothesis directly:
    ``schemathesis.pytest.from_fixture`` breaks on pytest 9, which renamed ``node._nodeid``)."""
    headers = seeded.auth("alice")
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 10  # the data API's routes are in the schema

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(
            max_examples=MAX_EXAMPLES,
            deadline=None,
            suppress_health_check=list(HealthCheck),
            derandomize=True,
            database=None,
        )
        def no_server_error(case: schemathesis.Case) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        no_server_error()

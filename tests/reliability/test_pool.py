"""The server's store pool is sized by ``[service]``; a request that finds every connection
busy gets 503 naming the setting, not a 500, and the next one is served."""

from __future__ import annotations

from collections.abc import Callable

from tests.service.conftest import Service


def test_pool_size_and_timeout_come_from_the_settings(
    service_client: Callable[..., Service], db_url: str
) -> None:
    service = service_client(
        db_url, service={"db_pool_size": 1, "db_max_overflow": 0, "db_pool_timeout_s": 0.2}
    )
    engine = service.engine
    assert engine.pool.size() == 1  # type: ignore[attr-defined]
    held = engine.connect()  # the only connection: the next request cannot get one
    try:
        answer = service.client.get("/api/v1/series", headers=service.auth("rita"))
        assert answer.status_code == 503
        assert "db_pool_size" in answer.json()["detail"]
        assert service.client.get("/healthz").status_code == 200  # needs no connection
    finally:
        held.close()
    assert service.client.get("/api/v1/series", headers=service.auth("rita")).status_code == 200

"""Who gets in: passwords, JWTs, API keys and roles, on SQLite and PostgreSQL."""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import argon2
import jwt
import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from prevoir.config import Settings
from prevoir.config.service import dev_secret
from prevoir.errors import ConfigError, ConflictError, DataValidationError, NotFoundError
from prevoir.service import create_app
from prevoir.service.auth import Admin
from prevoir.workflows.access import (
    create_key,
    create_user,
    list_keys,
    remove_user,
    revoke_key,
)
from tests.projects import opened

PASSWORD = "correct horse battery"


@pytest.fixture
def settings(db_url: str, tmp_path: Path, no_prevoir_env: None, cheap_passwords: None) -> Settings:
    """A project with no datasets on ``db_url``, users alice (admin) and rita (read), their
    passwords hashed at the smallest argon2 cost (see ``cheap_password_hashing``)."""
    configured = Settings(project_dir=tmp_path, store={"url": db_url})
    create_user(opened(configured), "alice", PASSWORD, "admin")
    create_user(opened(configured), "rita", PASSWORD, "read")
    return configured


@pytest.fixture
def client(settings: Settings) -> Iterator[TestClient]:
    """The service with one extra admin-only route, ``/admin-only``."""
    app = create_app(settings)

    @app.get("/admin-only")
    def admin_only(caller: Admin) -> dict[str, str]:
        return {"caller": caller.name}

    with TestClient(app) as test_client:
        yield test_client


def _token(client: TestClient, user: str, password: str = PASSWORD) -> str:
    answer = client.post("/api/v1/token", data={"username": user, "password": password})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_password_flow_gives_a_token_that_names_the_user_and_role(client: TestClient) -> None:
    answer = client.post("/api/v1/token", data={"username": "alice", "password": PASSWORD})
    assert answer.status_code == 200
    body = answer.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 60 * 60
    me = client.get("/api/v1/me", headers=_bearer(body["access_token"]))
    assert me.json() == {"name": "alice", "role": "admin"}


@pytest.mark.parametrize(("user", "password"), [("alice", "wrong password"), ("nobody", PASSWORD)])
def test_wrong_password_or_unknown_user_is_refused_alike(
    client: TestClient, user: str, password: str
) -> None:
    answer = client.post("/api/v1/token", data={"username": user, "password": password})
    assert answer.status_code == 401
    assert answer.json()["detail"] == "wrong user name or password"
    assert answer.headers["WWW-Authenticate"] == "Bearer"


def test_every_endpoint_but_health_needs_credentials(client: TestClient) -> None:
    assert client.get("/healthz").status_code == 200
    assert client.get("/readyz").json()["status"] == "ready"
    for path in ("/api/v1/me", "/metrics", "/admin-only"):
        answer = client.get(path)
        assert answer.status_code == 401, path
        assert "not authenticated" in answer.json()["detail"]


def _claims(token: str) -> dict[str, Any]:
    return jwt.decode(token, options={"verify_signature": False})


def test_expired_token_is_refused(client: TestClient, settings: Settings) -> None:
    past = datetime.now(UTC) - timedelta(minutes=5)
    secret = dev_secret(settings.project_dir)
    claims = {"sub": "alice", "role": "admin", "exp": past, "jti": "j"}
    token = jwt.encode(claims, secret, "HS256")
    answer = client.get("/api/v1/me", headers=_bearer(token))
    assert answer.status_code == 401
    assert "expired" in answer.json()["detail"]


def test_tampered_token_is_refused(client: TestClient) -> None:
    header, payload, signature = _token(client, "rita").split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    assert claims["sub"] == "rita"
    claims["sub"] = "alice"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    answer = client.get("/api/v1/me", headers=_bearer(f"{header}.{forged}.{signature}"))
    assert answer.status_code == 401
    assert answer.json()["detail"] == "invalid token"


def test_token_signed_with_another_secret_or_algorithm_none_is_refused(
    client: TestClient,
) -> None:
    exp = datetime.now(UTC) + timedelta(minutes=5)
    other = jwt.encode({"sub": "alice", "exp": exp}, "x" * 40, "HS256")
    unsigned = jwt.encode({"sub": "alice", "exp": exp}, None, "none")
    for token in (other, unsigned, "not-a-jwt"):
        assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 401


def test_a_role_too_low_gets_403_and_the_right_role_passes(client: TestClient) -> None:
    answer = client.get("/admin-only", headers=_bearer(_token(client, "rita")))
    assert answer.status_code == 403
    assert "needs 'admin'" in answer.json()["detail"]
    answer = client.get("/admin-only", headers=_bearer(_token(client, "alice")))
    assert answer.json() == {"caller": "alice"}


def test_removing_a_user_invalidates_their_token_at_once(
    client: TestClient, settings: Settings
) -> None:
    token = _token(client, "rita")
    assert client.get("/api/v1/me", headers=_bearer(token)).status_code == 200
    remove_user(opened(settings), "rita")
    answer = client.get("/api/v1/me", headers=_bearer(token))
    assert answer.status_code == 401
    assert "no longer exists" in answer.json()["detail"]
    with pytest.raises(NotFoundError, match="no user 'rita'"):
        remove_user(opened(settings), "rita")


def test_api_keys_work_as_bearer_or_header_until_revoked(
    client: TestClient, settings: Settings
) -> None:
    key_id, key = create_key(opened(settings), "ingest-bot", "admin")
    for headers in (_bearer(key), {"X-API-Key": key}):
        answer = client.get("/admin-only", headers=headers)
        assert answer.json() == {"caller": "key:ingest-bot"}
    reader_id, reader = create_key(opened(settings), "dashboard-bot", "read")
    assert client.get("/admin-only", headers={"X-API-Key": reader}).status_code == 403
    revoke_key(opened(settings), key_id)
    answer = client.get("/admin-only", headers=_bearer(key))
    assert answer.status_code == 401
    assert answer.json()["detail"] == "unknown or revoked API key"
    assert client.get("/api/v1/me", headers={"X-API-Key": key + "x"}).status_code == 401
    listed = {key.id: key for key in list_keys(opened(settings))}
    assert listed[key_id].revoked_at is not None
    assert listed[reader_id].revoked_at is None
    with pytest.raises(NotFoundError):
        revoke_key(opened(settings), key_id)


def test_the_store_keeps_neither_passwords_nor_keys(settings: Settings) -> None:
    _, key = create_key(opened(settings), "bot", "write")
    with opened(settings).store.read() as conn:
        hashes = conn.execute(sa.text("SELECT password_hash FROM users")).scalars().all()
        stored = conn.execute(sa.text("SELECT prefix, key_hash FROM api_keys")).one()
    assert all(value.startswith("$argon2id$") for value in hashes)
    assert not any(PASSWORD in value for value in hashes)
    assert key.startswith(stored.prefix) and len(stored.prefix) < len(key) // 3
    assert key not in stored.key_hash


def test_passwords_are_hashed_with_the_recommended_argon2_parameters(
    tmp_path: Path, no_prevoir_env: None
) -> None:
    """What ``prevoir`` itself stores and checks (every other test hashes cheaply)."""
    settings = Settings(project_dir=tmp_path, store={"url": f"sqlite:///{tmp_path}/s.db"})
    create_user(opened(settings), "alice", PASSWORD, "admin")
    with opened(settings).store.read() as conn:
        stored = conn.execute(sa.text("SELECT password_hash FROM users")).scalar_one()
    used = argon2.extract_parameters(stored)
    assert used.type is argon2.Type.ID
    assert (used.time_cost, used.memory_cost, used.parallelism) == (
        argon2.DEFAULT_TIME_COST,
        argon2.DEFAULT_MEMORY_COST,
        argon2.DEFAULT_PARALLELISM,
    )
    with TestClient(create_app(settings)) as client:
        assert _token(client, "alice")
        wrong = {"username": "alice", "password": PASSWORD + "!"}
        assert client.post("/api/v1/token", data=wrong).status_code == 401


def test_user_input_is_checked(settings: Settings) -> None:
    with pytest.raises(ConflictError, match="exists already"):
        create_user(opened(settings), "alice", PASSWORD, "read")
    with pytest.raises(DataValidationError, match="8 or more"):
        create_user(opened(settings), "bob", "short", "read")
    with pytest.raises(DataValidationError, match="role 'root'"):
        create_user(opened(settings), "bob", PASSWORD, "root")
    with pytest.raises(DataValidationError, match="without spaces"):
        create_user(opened(settings), "bob smith", PASSWORD, "read")


@pytest.mark.parametrize("secret", [None, "short"])
def test_outside_dev_the_service_refuses_a_missing_or_weak_secret(
    tmp_path: Path, no_prevoir_env: None, secret: str | None
) -> None:
    service: dict[str, Any] = {"environment": "production", "secret_key": secret}
    settings = Settings(project_dir=tmp_path, service=service)
    with pytest.raises(ConfigError, match="PREVOIR_SERVICE__SECRET_KEY"):
        create_app(settings)


def test_outside_dev_a_strong_secret_signs_the_tokens(tmp_path: Path, no_prevoir_env: None) -> None:
    secret = "s" * 48
    settings = Settings(project_dir=tmp_path, service={"environment": "prod", "secret_key": secret})
    create_user(opened(settings), "alice", PASSWORD, "admin")
    with TestClient(create_app(settings)) as client:
        token = _token(client, "alice")
        assert jwt.decode(token, secret, algorithms=["HS256"])["sub"] == "alice"
        dev_signed = jwt.encode(
            {"sub": "alice", "exp": datetime.now(UTC) + timedelta(minutes=5)},
            dev_secret(tmp_path),
            "HS256",
        )
        assert client.get("/api/v1/me", headers=_bearer(dev_signed)).status_code == 401


def test_readyz_reports_a_store_behind_the_migrations(
    client: TestClient, settings: Settings
) -> None:
    with opened(settings).store.write() as conn:
        conn.execute(sa.text("UPDATE alembic_version SET version_num = '0003'"))
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json()["schema"] == "0003"


def test_bodies_over_the_cap_get_413_declared_or_streamed(client: TestClient) -> None:
    limit = 10_000_000
    declared = client.post("/api/v1/token", content=b"x" * (limit + 1))
    assert declared.status_code == 413
    assert "too large" in declared.text.lower()

    def chunks() -> Iterator[bytes]:
        for _ in range(11):
            yield b"y" * 1_000_000

    form = {"content-type": "application/x-www-form-urlencoded"}
    streamed = client.post("/api/v1/token", content=chunks(), headers=form)
    assert streamed.status_code == 413
    assert streamed.json() == {"detail": "Content Too Large"}


def test_http_latency_is_recorded_by_route_template(client: TestClient) -> None:
    token = _token(client, "alice")
    client.get("/api/v1/me", headers=_bearer(token))
    text = client.get("/metrics", headers=_bearer(token)).text
    series = 'prevoir_http_request_duration_seconds_count{method="GET",route="/api/v1/me"'
    assert f'{series},status="200"}} 1.0' in text
    assert 'route="/api/v1/token",status="200"' in text

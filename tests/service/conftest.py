"""Fixtures for the service suite: a running app on a scaffolded project, with three users.

``service_client(db_url)`` builds a ``bikes`` project in a temporary folder whose store is
``db_url``, adds the users ``alice`` (admin), ``wendy`` (write) and ``rita`` (read), all with
password ``PASSWORD`` (``POST /api/v1/token`` works for them), and returns a ``Service``: a
started ``TestClient`` (lifespan run, scheduler off), the settings, and a bearer token per user.
Use it with the ``db_url`` fixture (re-exported from the integration suite) to run a test on
SQLite and on PostgreSQL::

    def test_something(service_client, db_url):
        service = service_client(db_url)
        response = service.client.get("/api/v1/series", headers=service.auth("rita"))

Keyword arguments are settings overrides (e.g. ``service={"max_body_bytes": 2048}``); the
``service`` table is merged over ``{"scheduler": False}``. Every client is closed after the test.

The users are stored with one argon2 hash of ``PASSWORD`` computed once per session, at the
smallest argon2 cost (``cheap_password_hashing`` in ``tests/conftest.py``), and the
factory's tests hash and check passwords at that cost too: the recommended parameters cost
up to a second per hash on a busy two-core box. ``test_auth.py`` checks that ``prevoir``
itself hashes with the recommended ones.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient

from prevoir.config import Settings, load_settings
from prevoir.service.app import create_app
from prevoir.service.auth import issue_token
from prevoir.storage.users import add_user
from prevoir.workflows.access import Principal, authenticate_password, create_user
from prevoir.workflows.project import open_project
from prevoir.workflows.scaffold import init_project
from tests.conftest import cheap_password_hashing
from tests.integration.conftest import db_url, pg_schema_url

__all__ = [
    "PASSWORD",
    "USERS",
    "Service",
    "dashboard_login",
    "db_url",
    "pg_schema_url",
    "service_client",
]

PASSWORD = "correct horse battery"
USERS = {"alice": "admin", "wendy": "write", "rita": "read"}


@dataclass
class Service:
    """A started app: its client, settings and a bearer token per user of ``USERS``."""

    client: TestClient
    settings: Settings
    tokens: dict[str, str] = field(default_factory=dict)

    def auth(self, user: str) -> dict[str, str]:
        """The ``Authorization`` header of ``user`` (one of ``USERS``)."""
        return {"Authorization": f"Bearer {self.tokens[user]}"}

    @property
    def engine(self) -> sa.Engine:
        """The app's own engine, to arrange or check the store directly."""
        engine: sa.Engine = self.client.app.state.prevoir.project.store.engine  # type: ignore[attr-defined]
        return engine


@pytest.fixture(scope="session")
def password_hash(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The stored hash of ``PASSWORD``, made once by ``create_user`` on a scratch store."""
    project = tmp_path_factory.mktemp("hash")
    init_project(project, example="bikes")
    settings = load_settings(project, overrides={"store": {"url": f"sqlite:///{project}/h.db"}})
    with cheap_password_hashing(), open_project(settings, migrate=True) as project:
        create_user(project, "scratch", PASSWORD, "read")
        assert authenticate_password(project, "scratch", PASSWORD) is not None
        with project.store.read() as conn:
            stored = conn.exec_driver_sql(
                "SELECT password_hash FROM users WHERE username = 'scratch'"
            ).scalar_one()
    return str(stored)


@pytest.fixture
def service_client(
    tmp_path_factory: pytest.TempPathFactory,
    no_prevoir_env: None,
    password_hash: str,
    cheap_passwords: None,
) -> Iterator[Callable[..., Service]]:
    """A factory ``(db_url, *, example="bikes", **overrides) -> Service`` (see the module)."""
    started: list[TestClient] = []

    def make(store_url: str, *, example: str = "bikes", **overrides: Any) -> Service:
        project: Path = tmp_path_factory.mktemp("project")
        init_project(project, example=example)
        overrides["service"] = {"scheduler": False, **overrides.get("service", {})}
        settings = load_settings(project, overrides={"store": {"url": store_url}, **overrides})
        secret = settings.service.signing_secret(settings.project_dir)
        client = TestClient(create_app(settings))  # migrates the store
        client.__enter__()
        started.append(client)
        service = Service(client=client, settings=settings)
        with service.engine.begin() as conn:
            for name, role in USERS.items():
                add_user(conn, name, password_hash, role)
                service.tokens[name] = issue_token(Principal(name, role), secret=secret, minutes=60)
        return service

    yield make
    for client in reversed(started):
        client.__exit__(None, None, None)


def dashboard_login(client: TestClient, username: str, password: str, **kwargs: Any) -> Any:
    """Post the dashboard's login form as a browser does: fetch it (its CSRF token, in a
    hidden field and a cookie), then send it back with the user name and password."""
    form = client.get("/login")
    found = re.search(r'name="csrf_token" value="([^"]+)"', form.text)
    assert found is not None, form.text
    data = {"username": username, "password": password, "csrf_token": found.group(1)}
    return client.post("/login", data=data, **kwargs)

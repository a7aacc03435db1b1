"""Fixtures of the reliability suite: the service suite's app factory on both backends.

``service_client(db_url)`` (see ``tests/service/conftest.py``) gives a started app on a
``bikes`` project with users alice (admin), wendy (write) and rita (read).
"""

from __future__ import annotations

from tests.service.conftest import (
    PASSWORD,
    USERS,
    Service,
    db_url,
    password_hash,
    pg_schema_url,
    service_client,
)

__all__ = [
    "PASSWORD",
    "USERS",
    "Service",
    "db_url",
    "password_hash",
    "pg_schema_url",
    "service_client",
]

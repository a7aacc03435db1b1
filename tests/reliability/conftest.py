"""The reliability suite borrows the service suite's fixtures: a started app on a fresh
store of either backend (``service_client(db_url)``) with its users and their tokens."""

from tests.service.conftest import db_url, password_hash, pg_schema_url, service_client

__all__ = ["db_url", "password_hash", "pg_schema_url", "service_client"]

"""Fixtures of the reliability suite, borrowed from the service suite: a started app on a
fresh store of either backend (``service_client(db_url)``) with its users and their tokens.

(main's version of this file, from the runs work, exports the same four fixtures and more:
at a merge, keep that one.)"""

from __future__ import annotations

from tests.service.conftest import db_url, password_hash, pg_schema_url, service_client

__all__ = ["db_url", "password_hash", "pg_schema_url", "service_client"]

"""The roles a user or API key holds, weakest first: each includes the ones before it."""

from __future__ import annotations

__all__ = ["ROLES"]

ROLES: tuple[str, ...] = ("read", "write", "admin")

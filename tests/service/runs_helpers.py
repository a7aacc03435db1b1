"""Shared by the runs, scheduler and metrics tests: a small real project, keys, polling."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from prevoir.config import Settings, load_settings
from prevoir.workflows import init_project
from prevoir.workflows.access import create_key
from tests.projects import opened

T = TypeVar("T")

ETL = ["extract", "transform", "load"]  # the quick steps: about a second on the crypto data


def crypto_project(tmp_path: Path) -> Path:
    """The crypto example (three hourly series, four forecasters) in ``tmp_path``."""
    init_project(tmp_path / "crypto", example="crypto")
    return tmp_path / "crypto"


def project_settings(project: Path, db_url: str, **service: Any) -> Settings:
    """The project's settings on ``db_url`` with ``service`` options (no jobs by default)."""
    overrides = {"store": {"url": db_url}, "service": {"scheduler": False, **service}}
    return load_settings(project, overrides=overrides)


def key_headers(settings: Settings, role: str) -> dict[str, str]:
    """Headers carrying a fresh API key with ``role``."""
    _key_id, key = create_key(opened(settings), f"test-{role}", role)
    return {"X-API-Key": key}


def wait_for(probe: Callable[[], T | None], *, timeout: float = 120, every: float = 0.1) -> T:
    """Call ``probe`` until it returns something other than None; fail after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = probe()
        if found is not None:
            return found
        time.sleep(every)
    raise AssertionError(f"nothing after {timeout} s")

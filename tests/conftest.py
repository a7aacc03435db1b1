"""Fixtures shared by every suite."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

from tests.projects import close_opened


@pytest.fixture
def no_prevoir_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide the developer's ``PREVOIR_*`` settings so config tests see only their files.

    ``PREVOIR_TEST_*`` (which server the suite uses) is kept.
    """
    for name in list(os.environ):
        if name.startswith("PREVOIR_") and not name.startswith("PREVOIR_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _close_opened_projects() -> Iterator[None]:
    """Close the stores that ``tests.projects.opened`` opened during the test."""
    yield
    close_opened()

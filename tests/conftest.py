"""Fixtures shared by every suite."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def no_prevoir_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide the developer's ``PREVOIR_*`` settings so config tests see only their files.

    ``PREVOIR_TEST_*`` (which server the suite uses) is kept.
    """
    for name in list(os.environ):
        if name.startswith("PREVOIR_") and not name.startswith("PREVOIR_TEST_"):
            monkeypatch.delenv(name)

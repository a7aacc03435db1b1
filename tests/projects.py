"""``opened(settings)``: a test's handle on a project's open store, as the CLI opens one.

The same settings object gets the same handle within a test; an autouse fixture of
``tests/conftest.py`` closes them all when the test ends. The store is migrated to the
head on first use, as ``prevoir run`` does.
"""

from __future__ import annotations

from prevoir.config import Settings
from prevoir.workflows.project import Project, open_project

_OPEN: dict[int, tuple[Settings, Project]] = {}  # keyed by id(settings), which it keeps alive


def opened(settings: Settings) -> Project:
    """The project of ``settings`` with its store open (and migrated)."""
    if id(settings) not in _OPEN:
        _OPEN[id(settings)] = (settings, open_project(settings, migrate=True))
    return _OPEN[id(settings)][1]


def close_opened() -> None:
    """Close every handle ``opened`` gave out."""
    while _OPEN:
        _, (_, project) = _OPEN.popitem()
        project.close()

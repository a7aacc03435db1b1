"""Scaffold a project folder from one of the examples shipped in the package."""

from __future__ import annotations

import shutil
from importlib import resources
from pathlib import Path

from prevoir.config import CONFIG_FILE
from prevoir.errors import ConflictError, NotFoundError
from prevoir.examples import EXAMPLES


def init_project(directory: Path, *, example: str, force: bool = False) -> list[Path]:
    """Copy the example's ``prevoir.toml`` and data into ``directory``; the files written."""
    if example not in EXAMPLES:
        raise NotFoundError(f"unknown example {example!r}; choose one of: {', '.join(EXAMPLES)}")
    target = directory.resolve()
    if (target / CONFIG_FILE).exists() and not force:
        raise ConflictError(
            f"{target / CONFIG_FILE} already exists; pick an empty folder or pass --force"
        )
    source = resources.files("prevoir.examples") / example
    written: list[Path] = []
    with resources.as_file(source) as folder:
        for path in sorted(Path(folder).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                dest = target / path.relative_to(folder)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(path, dest)
                written.append(dest)
    return written

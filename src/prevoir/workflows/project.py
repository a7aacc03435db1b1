"""``Project``: one project under one profile with its store open — what every workflow takes.

The CLI opens one per command, the service one per server (its lifespan); both hand it to
the workflows, which never open a store of their own. ``migrate`` says whether opening may
create or upgrade the schema (``prevoir run``, ``db upgrade``, ``serve``); otherwise a store
that is not at this prevoir's head is refused with the command that upgrades it.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import TracebackType
from typing import Any, Self

from prevoir.config import Settings, forecaster_spec
from prevoir.domain.specs import ForecasterSpec
from prevoir.errors import NotFoundError
from prevoir.registry.registry import Registry
from prevoir.storage.store import Store
from prevoir.workflows.mirror import open_mirror

__all__ = ["Project", "open_project", "upgrade_store"]


@dataclass
class Project:
    """Settings of one profile and the store they name, opened."""

    settings: Settings
    store: Store

    @property
    def profile(self) -> str:
        """The profile whose aliases, runs and artifacts this project sees."""
        return self.settings.profile

    def registry(self, *, notes: list[str] | None = None) -> Registry:
        """The model registry of this profile, mirrored to MLflow when ``[mlflow]`` is set
        (mirroring problems are appended to ``notes``; they never fail the caller)."""
        return Registry(
            self.store,
            profile=self.profile,
            model_store=self.settings.model_store_location(),
            mirror=open_mirror(self.settings, notes=[] if notes is None else notes),
        )

    def forecaster(self, name: str) -> ForecasterSpec:
        """The spec of a configured forecaster; ``NotFoundError`` naming the known ones."""
        if name not in self.settings.forecasters:
            known = ", ".join(sorted(self.settings.forecasters)) or "none"
            raise NotFoundError(f"no forecaster {name!r} in the project (known: {known})")
        return forecaster_spec(name, self.settings)

    def close(self) -> None:
        """Close the store's connections."""
        self.store.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self.close()


def open_project(settings: Settings, *, migrate: bool = False, **engine_kwargs: Any) -> Project:
    """``settings`` with their store open (see the module docstring); close it after use."""
    return Project(settings, Store.open(settings.store_url(), migrate=migrate, **engine_kwargs))


def upgrade_store(settings: Settings) -> tuple[str | None, str]:
    """Create the store's tables or migrate them to the newest schema; (before, after)."""
    with Store.connect(settings.store_url()) as store:
        return store.upgrade()

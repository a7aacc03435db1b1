"""The mirror port: where the store's registry changes are copied after they commit.

prevoir's store is the source of truth for versions and aliases. A mirror (MLflow, see
``prevoir.registry.mlflow_mirror``) receives each change once it is committed and never
raises: a mirror that cannot be written reports it as a run note and the run goes on.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path

from prevoir.domain.records import ModelVersion
from prevoir.domain.specs import ForecasterSpec


class RegistryMirror:
    """Receives a run's results and every registry change, after the store committed them.

    Every method here does nothing: a mirror overrides what it copies.
    """

    def run_started(
        self,
        *,
        run_id: int,
        trigger: str,
        config_hash: str,
        steps: Sequence[str],
        forecasters: Mapping[str, ForecasterSpec],
    ) -> None:
        """A pipeline run began."""

    def version_saved(self, version: ModelVersion) -> None:
        """A new version was trained in this run."""

    def metrics_updated(self, version: ModelVersion) -> None:
        """A version got its backtest metrics in this run."""

    def artifact_recorded(self, forecaster: str, *, kind: str, path: Path) -> None:
        """A step of this run wrote a file about ``forecaster``."""

    def alias_moved(self, alias: str, version: ModelVersion) -> None:
        """``alias`` of the version's forecaster (this profile) now points at ``version``."""

    def run_finished(self, status: str) -> None:
        """The run ended with ``status`` (succeeded or failed)."""


class NoMirror(RegistryMirror):
    """The mirror when none is configured: every change stays in the store only."""

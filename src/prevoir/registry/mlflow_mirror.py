"""Mirror runs, model versions and aliases into MLflow (the optional ``prevoir[mlflow]``).

One MLflow run per prevoir run (tags: run id, profile, trigger, config hash, steps), with one
nested run per forecaster holding its params, backtest metrics, plots, metrics JSON and the
model artifact. Each prevoir version becomes a version of the registered model
``<prefix><profile>.<forecaster>`` tagged with its prevoir id and sha256, and the aliases
``challenger``/``champion`` follow every move. One registered model per profile keeps a
dev run from ever touching what prod serves.

The store stays the source of truth: the first MLflow error is logged and added to the run's
notes, mirroring stops for the rest of the run, and the run itself goes on. A version that
MLflow missed is registered on its next alias move (from the store's row and artifact file).
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any, Concatenate, ParamSpec
from urllib.parse import urlsplit

from mlflow import MlflowClient
from mlflow.entities import Param, RunStatus
from mlflow.exceptions import MlflowException

from prevoir.domain.records import ModelVersion
from prevoir.domain.specs import ForecasterSpec, MlflowSpec
from prevoir.errors import ConfigError
from prevoir.registry.mirror import RegistryMirror

logger = logging.getLogger(__name__)

VERSION_TAG = "prevoir.version_id"
SHA256_TAG = "prevoir.sha256"
SKIPPED_KINDS = frozenset({"features"})  # feature tables are large and rebuilt from data
_MAX_PARAM = 6000  # MLflow's limit on a param value
_STATUS = {"succeeded": RunStatus.FINISHED}  # anything else: FAILED

P = ParamSpec("P")


def _guarded(
    method: Callable[Concatenate[MlflowMirror, P], None],
) -> Callable[Concatenate[MlflowMirror, P], None]:
    """Run ``method`` unless mirroring already failed; turn its failure into a note."""

    @functools.wraps(method)
    def wrapper(self: MlflowMirror, *args: P.args, **kwargs: P.kwargs) -> None:
        if self.broken:
            return
        try:
            method(self, *args, **kwargs)
        except Exception as exc:  # any MLflow failure: the store is the truth, the run goes on
            self.give_up(exc)

    return wrapper


class MlflowMirror(RegistryMirror):
    """Copies one profile's registry changes (and one run's results) into MLflow."""

    def __init__(self, spec: MlflowSpec, *, profile: str, notes: list[str]) -> None:
        self.spec = spec
        self.profile = profile
        self.notes = notes
        self.broken = False
        try:
            self.client = MlflowClient(
                tracking_uri=spec.tracking_uri, registry_uri=spec.tracking_uri
            )
        except MlflowException as exc:  # an unsupported URI: a config problem, not an outage
            raise ConfigError(
                f"[mlflow] tracking_uri {_where(spec.tracking_uri)!r} is not usable: "
                f"{str(exc).strip().splitlines()[0][:200]} Use e.g. sqlite:///mlflow.db or "
                "http://host:5000"
            ) from exc
        self._parent: str | None = None
        self._children: dict[str, str] = {}
        self._forecasters: Mapping[str, ForecasterSpec] = {}
        self._run_tags: dict[str, str] = {}
        self._registered: dict[int, str] = {}  # prevoir version id -> MLflow version number

    def give_up(self, exc: Exception) -> None:
        """Stop mirroring for this run and say why, once."""
        self.broken = True
        first = (str(exc).strip().splitlines() or [""])[0][:300]
        message = (
            f"MLflow at {_where(self.spec.tracking_uri)} could not be written "
            f"({type(exc).__name__}: {first}); mirroring stopped for this run. prevoir's store "
            "is unaffected and stays the source of truth; a version MLflow missed is "
            "registered on its next alias move"
        )
        logger.warning("%s", message)
        logger.debug("MLflow failure", exc_info=exc)
        self.notes.append(message)

    @_guarded
    def run_started(
        self,
        *,
        run_id: int,
        trigger: str,
        config_hash: str,
        steps: Sequence[str],
        forecasters: Mapping[str, ForecasterSpec],
    ) -> None:
        """Open the parent MLflow run of prevoir run ``run_id``."""
        self._forecasters = forecasters
        self._run_tags = {"prevoir.run_id": str(run_id), "prevoir.profile": self.profile}
        tags = {
            **self._run_tags,
            "prevoir.trigger": trigger,
            "prevoir.config_hash": config_hash,
            "prevoir.steps": ",".join(steps),
        }
        run = self.client.create_run(
            self._experiment_id(), run_name=f"{self.profile}-run-{run_id}", tags=tags
        )
        self._parent = run.info.run_id

    @_guarded
    def version_saved(self, version: ModelVersion) -> None:
        """Log the version's params and artifact in its forecaster's run; register it."""
        run_id = self._child(str(version.forecaster))
        if run_id is None:
            return
        features = list(version.features)
        params = {
            "train_start": version.train_start,
            "train_end": version.train_end,
            "data_fingerprint": version.data_fingerprint,
            "n_features": len(features),
            "features": ",".join(map(str, features)),
        }
        self.client.log_batch(run_id, params=_params(params))
        self.client.set_tag(run_id, VERSION_TAG, str(version.id))
        self.client.log_artifact(run_id, str(version.artifact_path), artifact_path="model")
        self.client.log_dict(run_id, _plain(version), "model/prevoir_version.json")
        artifact_uri = self.client.get_run(run_id).info.artifact_uri
        self._register(version, source=f"{artifact_uri}/model", run_id=run_id)

    @_guarded
    def metrics_updated(self, version: ModelVersion) -> None:
        """Log backtest metrics in the forecaster's run and on the registered version."""
        metrics = {
            k: float(v)
            for k, v in dict(version.metrics).items()
            if isinstance(v, int | float) and not isinstance(v, bool)
        }
        run_id = self._child(str(version.forecaster))
        if run_id is not None:
            for key, value in metrics.items():
                self.client.log_metric(run_id, key, value)
        name, number = self._name(version), self._version_number(version)
        for key, value in metrics.items():
            self.client.set_model_version_tag(name, number, f"prevoir.metric.{key}", str(value))

    @_guarded
    def artifact_recorded(self, forecaster: str, *, kind: str, path: Path) -> None:
        """Log a step's file (plots, metrics JSON; not feature tables) under ``<kind>/``."""
        if kind in SKIPPED_KINDS:
            return
        run_id = self._child(forecaster)
        if run_id is not None:
            self.client.log_artifact(run_id, str(path), artifact_path=kind)

    @_guarded
    def alias_moved(self, alias: str, version: ModelVersion) -> None:
        """Point the registered model's ``alias`` at the version (registering it if needed)."""
        number = self._version_number(version)
        self.client.set_registered_model_alias(self._name(version), alias, number)

    @_guarded
    def run_finished(self, status: str) -> None:
        """Close the forecaster runs and the parent run with the prevoir run's status."""
        state = RunStatus.to_string(_STATUS.get(status, RunStatus.FAILED))
        for run_id in self._children.values():
            self.client.set_terminated(run_id, status=state)
        if self._parent is not None:
            self.client.set_terminated(self._parent, status=state)

    def _experiment_id(self) -> str:
        found = self.client.get_experiment_by_name(self.spec.experiment)
        if found is not None:
            return str(found.experiment_id)
        return str(
            self.client.create_experiment(
                self.spec.experiment, artifact_location=self.spec.artifact_location
            )
        )

    def _child(self, forecaster: str) -> str | None:
        """The nested run of ``forecaster`` in this run (None outside a run)."""
        if self._parent is None:
            return None
        if forecaster not in self._children:
            parent = self.client.get_run(self._parent)
            run = self.client.create_run(
                parent.info.experiment_id,
                run_name=forecaster,
                tags={
                    **self._run_tags,
                    "mlflow.parentRunId": self._parent,
                    "prevoir.forecaster": forecaster,
                },
            )
            self._children[forecaster] = run.info.run_id
            spec = self._forecasters.get(forecaster)
            if spec is not None:
                self.client.log_batch(run.info.run_id, params=_params(_spec_params(spec)))
        return self._children[forecaster]

    def _name(self, version: ModelVersion) -> str:
        return self.spec.registered_model(self.profile, str(version.forecaster))

    def _version_number(self, version: ModelVersion) -> str:
        """The MLflow version of a prevoir version, registered from the store if missing."""
        version_id = version.id
        if version_id in self._registered:
            return self._registered[version_id]
        name = self._name(version)
        self._ensure_registered_model(name, str(version.forecaster))
        for found in self.client.search_model_versions(f"name = '{name}'"):
            if found.tags.get(VERSION_TAG) == str(version_id):
                self._registered[version_id] = str(found.version)
                return str(found.version)
        return self._register(version, source=Path(version.artifact_path).resolve().as_uri())

    def _register(self, version: ModelVersion, *, source: str, run_id: str | None = None) -> str:
        name = self._name(version)
        self._ensure_registered_model(name, str(version.forecaster))
        created = self.client.create_model_version(
            name,
            source=source,
            run_id=run_id,
            tags={
                VERSION_TAG: str(version.id),
                SHA256_TAG: str(version.sha256),
                "prevoir.profile": str(version.profile),
                "prevoir.run_id": str(version.run_id),
                "prevoir.kind": str(version.kind),
            },
            description=f"prevoir model version {version.id} of {version.forecaster}",
        )
        self._registered[version.id] = str(created.version)
        return str(created.version)

    def _ensure_registered_model(self, name: str, forecaster: str) -> None:
        try:
            self.client.create_registered_model(
                name, tags={"prevoir.profile": self.profile, "prevoir.forecaster": forecaster}
            )
        except MlflowException as exc:
            if exc.error_code != "RESOURCE_ALREADY_EXISTS":
                raise


def _spec_params(spec: ForecasterSpec) -> dict[str, Any]:
    """What the config says about a forecaster: data, horizons, model, features, window."""
    model = spec.model
    features = spec.features
    return {
        "dataset": spec.dataset,
        "target": spec.target,
        "freq": spec.freq,
        "horizons": ",".join(map(str, spec.horizons)),
        "model.kind": model.kind,
        "model.season_length": model.season_length,
        "model.scope": model.scope,
        **{f"model.{k}": v for k, v in model.params.items()},
        **({"model.members": ",".join(m.kind for m in model.members)} if model.members else {}),
        "features.lags": ",".join(map(str, features.lags)),
        "features.rolling": ",".join(map(str, features.rolling)),
        "features.calendar": ",".join(features.calendar),
        "features.cyclic": ",".join(features.cyclic),
        "exogenous": ",".join(e.dataset for e in spec.exogenous),
        "train_window": spec.train_window,
        "min_train_rows": spec.min_train_rows,
    }


def _params(values: Mapping[str, Any]) -> list[Param]:
    return [Param(key, str(value)[:_MAX_PARAM]) for key, value in values.items()]


def _plain(version: ModelVersion) -> dict[str, Any]:
    """The version as JSON-ready data (times as ISO text)."""
    return json.loads(json.dumps(asdict(version), default=str))


def _where(uri: str) -> str:
    """``uri`` without credentials, for messages."""
    parts = urlsplit(uri)
    host = parts.hostname or ""
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


__all__ = ["SHA256_TAG", "VERSION_TAG", "MlflowMirror"]

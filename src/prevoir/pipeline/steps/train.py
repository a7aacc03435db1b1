"""train: fit a new model version from each forecaster's feature table."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from prevoir.domain.columns import DS, Y
from prevoir.domain.specs import ForecasterSpec
from prevoir.models.factory import make_model
from prevoir.pipeline.context import RunContext
from prevoir.pipeline.gates import training_facts
from prevoir.pipeline.isolation import Isolation
from prevoir.pipeline.steps.inputs import FEATURES_KIND, missing_input
from prevoir.pipeline.steps.outcome import StepOutcome

_LIBRARIES = ("prevoir", "numpy", "pandas", "lightgbm", "xgboost", "scikit-learn", "statsforecast")


def train(ctx: RunContext) -> StepOutcome:
    """Fit every forecaster; each fit becomes a ``challenger`` version. Nothing is promoted.

    Beside the store's record, the run's ``train/<forecaster>_model.json`` says what was
    trained: the version, its artifact and sha256, params, features, window, fingerprint.
    """
    rows_in = 0
    files: list[Path] = []
    task = ctx.progress.task("train", total=len(ctx.forecasters))
    isolation = Isolation(ctx, "train")  # one forecaster's failure stops only it
    for name, spec in ctx.forecasters.items():
        path = ctx.store.latest_artifact(subject=name, kind=FEATURES_KIND)
        if path is None:
            raise missing_input(ctx, spec, "train", f"the feature table of {name!r}")
        with isolation.forecaster(name):
            design = pd.read_parquet(path)
            model = make_model(spec).fit_design(design)
            version = ctx.store.save_model(
                model, metadata=_metadata(spec, design, run_id=ctx.run_id, profile=ctx.profile)
            )
            ctx.candidates[name] = version
            files.append(_write_model_json(ctx, name, version))
            rows_in += len(design)
        task.advance()
    isolation.finish(len(ctx.forecasters))
    return StepOutcome(rows_in=rows_in, rows_out=len(ctx.candidates), files=tuple(files))


def _write_model_json(ctx: RunContext, name: str, version: int) -> Path:
    path = ctx.run_dir("train") / f"{name}_model.json"
    record = asdict(ctx.store.version_info(version))
    path.write_text(json.dumps(record, indent=2, default=str) + "\n")
    return path


def _metadata(
    spec: ForecasterSpec, design: pd.DataFrame, *, run_id: int, profile: str
) -> dict[str, Any]:
    known = design[design[Y].notna()]
    return {
        "forecaster": spec.name,
        "kind": spec.model.kind,
        "params": dict(spec.model.params) | _task_params(spec) | {"strategy": spec.model.strategy},
        "features": [c for c in design.columns if c not in ("unique_id", "origin", "ds", Y)],
        "train_start": known[DS].min() if len(known) else None,
        "train_end": known[DS].max() if len(known) else None,
        "data_fingerprint": fingerprint(design),
        "library_versions": _library_versions(),
        "profile": profile,
        "run_id": run_id,
        "metrics": training_facts(design, spec),  # evaluate adds the backtest to these
    }


def _task_params(spec: ForecasterSpec) -> dict[str, Any]:
    """What the version learnt besides the model's params: season, task, label (if any)."""
    params: dict[str, Any] = {"season_length": spec.model.season_length, "task": spec.task}
    if spec.label is not None:
        params["label"] = asdict(spec.label)
    return params


def fingerprint(frame: pd.DataFrame) -> str:
    """Row count plus a hash of every key and value: equal data, equal fingerprint."""
    hashed = pd.util.hash_pandas_object(frame, index=False).to_numpy()
    return f"{len(frame)}:{hashlib.sha256(hashed.tobytes()).hexdigest()[:32]}"


def _library_versions() -> dict[str, str]:
    versions = {}
    for name in _LIBRARIES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            continue
    return versions

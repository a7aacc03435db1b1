"""Thread counts: the project's ``threads`` reaches every library, explicit params win."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from pydantic import ValidationError

from prevoir.config import forecaster_spec, load_settings
from prevoir.domain.specs import LabelSpec
from prevoir.errors import ConfigError
from prevoir.models import DirectForecaster, EnsembleForecaster, make_model
from prevoir.models.direct import GLOBAL
from prevoir.models.threads import available_cores
from prevoir.testing import make_series, make_spec
from tests.configs import DATASET_A_FORECASTER_F


@pytest.fixture(scope="module")
def history() -> pd.DataFrame:
    return make_series(n_series=2, length=24 * 8, seed=3)


def _fitted_threads(model: DirectForecaster) -> int:
    """The thread count the fitted library object itself was given."""
    assert model.estimators_ is not None
    estimator: Any = model.estimators_[GLOBAL]
    if model.spec.model.kind == "lightgbm":
        return int(estimator.params["num_threads"])
    if model.spec.model.kind == "xgboost":
        config = json.loads(estimator.save_config())
        return int(config["learner"]["generic_param"]["nthread"])
    # the forest trains with ``params`` and is then set to predict single-threaded per chunk
    return int(model.params["n_jobs"])  # type: ignore[call-overload]


@pytest.mark.parametrize("kind", ["lightgbm", "xgboost", "random_forest"])
@pytest.mark.parametrize("threads", [1, 3])
@pytest.mark.parametrize("task", ["regression", "classification"])
def test_the_setting_reaches_each_library(
    kind: str, threads: int, task: str, history: pd.DataFrame
) -> None:
    label = LabelSpec(rule="up") if task == "classification" else None
    spec = make_spec(kind, threads=threads, task=task, label=label)  # type: ignore[arg-type]
    model = make_model(spec)
    assert isinstance(model, DirectForecaster)
    model.fit(history)
    assert _fitted_threads(model) == threads
    origins = history.groupby("unique_id", as_index=False)["ds"].max()
    assert len(model.predict(history, origins.rename(columns={"ds": "origin"}))) > 0


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("lightgbm", {"n_jobs": 1}),
        ("lightgbm", {"num_threads": 1}),
        ("xgboost", {"n_jobs": 1}),
        ("xgboost", {"nthread": 1}),
        ("random_forest", {"n_jobs": 1}),
    ],
)
def test_explicit_params_win(kind: str, params: dict[str, object], history: pd.DataFrame) -> None:
    spec = make_spec(kind, params=params | {"n_estimators": 5}, threads=3)  # type: ignore[arg-type]
    model = make_model(spec)
    assert isinstance(model, DirectForecaster)
    assert _fitted_threads(model.fit(history)) == 1


def test_unset_means_the_cores_this_process_may_use() -> None:
    model = make_model(make_spec("lightgbm", params={}))
    assert isinstance(model, DirectForecaster)
    assert model.params["num_threads"] == available_cores() >= 1


def test_ensemble_members_get_the_forecasters_threads() -> None:
    model = make_model(make_spec("auto", params={}, threads=1))
    assert isinstance(model, EnsembleForecaster)
    ml = [m for m in model.members if isinstance(m, DirectForecaster)]
    assert len(ml) == 2
    assert [m.params.get("num_threads", m.params.get("nthread")) for m in ml] == [1, 1]


@pytest.mark.parametrize("threads", [0, -2, True, 1.5, "2"])
def test_an_invalid_threads_value_is_refused_by_the_spec(threads: object) -> None:
    with pytest.raises(ValidationError, match="threads"):
        make_spec("xgboost", threads=threads)


def _project(tmp_path: Path, line: str) -> Path:
    tmp_path.mkdir(exist_ok=True)
    (tmp_path / "prevoir.toml").write_text(line + "\n" + DATASET_A_FORECASTER_F)
    return tmp_path


def test_the_project_setting_reaches_the_spec(tmp_path: Path, no_prevoir_env: None) -> None:
    settings = load_settings(_project(tmp_path, "threads = 1"))
    assert forecaster_spec("f", settings).threads == 1
    unset = load_settings(_project(tmp_path / "unset", ""))
    assert forecaster_spec("f", unset).threads is None


def test_the_environment_sets_threads(
    tmp_path: Path, no_prevoir_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREVOIR_THREADS", "1")
    assert load_settings(_project(tmp_path, "threads = 2")).threads == 1


@pytest.mark.parametrize("value", ["0", "-1", '"all"', "1.5"])
def test_an_invalid_project_value_names_the_key(
    tmp_path: Path, no_prevoir_env: None, value: str
) -> None:
    with pytest.raises(ConfigError, match="`threads`"):
        load_settings(_project(tmp_path, f"threads = {value}"))

"""task / label in prevoir.toml: converted to the core's specs, and refused clearly when wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from prevoir.config import forecaster_spec, load_settings
from prevoir.domain.specs import LabelSpec
from prevoir.errors import ConfigError
from prevoir.models import LightGBMClassifier, LightGBMForecaster, make_model
from tests.configs import DATASET_A_FORECASTER_F


def _project(tmp_path: Path, lines: str) -> Path:
    (tmp_path / "prevoir.toml").write_text(DATASET_A_FORECASTER_F + lines)
    return tmp_path


def test_a_classification_forecaster_becomes_a_classifier(
    tmp_path: Path, no_prevoir_env: None
) -> None:
    project = _project(
        tmp_path, 'task = "classification"\nlabel = { rule = "above", threshold = 100 }\n'
    )
    spec = forecaster_spec("f", load_settings(project))
    assert spec.task == "classification"
    assert spec.label == LabelSpec(rule="above", threshold=100.0)
    assert isinstance(make_model(spec), LightGBMClassifier)


def test_regression_is_the_default(tmp_path: Path, no_prevoir_env: None) -> None:
    spec = forecaster_spec("f", load_settings(_project(tmp_path, "")))
    assert spec.task == "regression" and spec.label is None
    assert type(make_model(spec)) is LightGBMForecaster


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ('task = "classification"\n', r"`forecasters\.f`: .*needs a label, e\.g\. label = \{"),
        ('label = { rule = "up" }\n', r"`forecasters\.f`: .*label applies only to task"),
        (
            'task = "classification"\nlabel = { rule = "above" }\n',
            r'`forecasters\.f\.label`: .*rule "above" needs a threshold',
        ),
        (
            'task = "classification"\nlabel = { rule = "up", threshold = 3 }\n',
            r'`forecasters\.f\.label`: .*threshold applies only to rule "above"',
        ),
        (
            'task = "classification"\nlabel = { rule = "down" }\n',
            r"`forecasters\.f\.label\.rule`: Input should be 'up' or 'above'",
        ),
        (
            'task = "classification"\nlabel = { rule = "up" }\nmodel = { kind = "auto_ets" }\n',
            r"model kind 'auto_ets' cannot classify; use one of \['lightgbm', 'xgboost', 'random",
        ),
        ('task = "classify"\n', r"`forecasters\.f\.task`: Input should be 'regression' or"),
        (
            'task = "classification"\nlabel = { rule = "up", level = 3 }\n',
            r"unknown key `forecasters\.f\.label\.level`",
        ),
    ],
    ids=[
        "no-label",
        "label-on-regression",
        "above-without-threshold",
        "threshold-on-up",
        "unknown-rule",
        "kind-cannot-classify",
        "unknown-task",
        "unknown-label-key",
    ],
)
def test_a_misconfigured_label_is_a_clear_config_error(
    tmp_path: Path, no_prevoir_env: None, lines: str, message: str
) -> None:
    with pytest.raises(ConfigError, match=message) as caught:
        load_settings(_project(tmp_path, lines))
    assert "prevoir.toml" in str(caught.value)

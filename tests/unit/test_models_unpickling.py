"""Model artifacts load through an allow-list: a crafted pickle cannot run code."""

from __future__ import annotations

import os
import pickle
import subprocess
from pathlib import Path

import pytest

from prevoir.errors import ArtifactIntegrityError
from prevoir.models import Forecaster, SeasonalNaive
from prevoir.models.stats import STATS_KINDS
from prevoir.models.unpickling import restricted_loads
from prevoir.testing import make_series, make_spec


class _System:
    """Pickles as ``os.system(command)``: what an attacker with write access would store."""

    def __init__(self, command: str) -> None:
        self.command = command

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (os.system, (self.command,))


class _Call:
    def __init__(self, func: object, *args: object) -> None:
        self.func, self.args = func, args

    def __reduce__(self) -> tuple[object, tuple[object, ...]]:
        return (self.func, self.args)


def test_a_pickle_calling_os_system_is_refused_and_runs_nothing(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    data = pickle.dumps(_System(f"touch {marker}"))
    with pytest.raises(ArtifactIntegrityError, match=r"refers to (posix|os)\.system.*refused"):
        Forecaster.from_bytes(data)
    assert not marker.exists()


@pytest.mark.parametrize(
    "payload",
    [
        _Call(eval, "1 + 1"),
        _Call(getattr, Path(), "unlink"),
        _Call(subprocess.check_output, ["true"]),
        _Call(__import__, "os"),
        _Call(Path.write_text, Path("x"), "y"),
    ],
    ids=["eval", "getattr", "subprocess", "import", "path-write"],
)
def test_other_code_running_globals_are_refused(payload: _Call) -> None:
    with pytest.raises(ArtifactIntegrityError, match="refused"):
        restricted_loads(pickle.dumps(payload))


def test_prevoir_functions_are_refused_only_classes_load() -> None:
    from prevoir.models import factory

    with pytest.raises(ArtifactIntegrityError, match="make_model"):
        restricted_loads(pickle.dumps(_Call(factory.make_model, None)))


def test_a_model_nested_in_an_innocent_looking_container_is_still_checked() -> None:
    data = pickle.dumps({"model": [1, 2, _System("true")]})
    with pytest.raises(ArtifactIntegrityError, match="system"):
        restricted_loads(data)


def test_garbage_bytes_are_an_integrity_error() -> None:
    with pytest.raises(ArtifactIntegrityError, match="not a readable prevoir model"):
        Forecaster.from_bytes(b"not a pickle at all")


def test_a_pickle_of_plain_data_is_not_a_model() -> None:
    with pytest.raises(ArtifactIntegrityError, match="does not hold a prevoir model"):
        Forecaster.from_bytes(pickle.dumps({"a": 1}))


@pytest.mark.parametrize("kind", sorted(STATS_KINDS))
def test_every_statsforecast_kind_loads(kind: str) -> None:
    """The contract suites load the other kinds (tests/unit/test_models.py save/load)."""
    from prevoir.models.stats import StatsForecaster
    from tests.unit.test_models_stats import _spec

    history = make_series(n_series=2, length=24 * 14, seed=1)
    model = StatsForecaster(_spec(kind)).fit(history)
    loaded = Forecaster.from_bytes(model.to_bytes())
    assert type(loaded) is StatsForecaster and loaded.is_fitted


def test_a_seasonal_naive_round_trips() -> None:
    history = make_series(n_series=2, length=24 * 7, seed=2)
    model = SeasonalNaive(make_spec("seasonal_naive")).fit(history)
    assert isinstance(Forecaster.from_bytes(model.to_bytes()), SeasonalNaive)

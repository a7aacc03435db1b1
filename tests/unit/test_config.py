"""Settings: file < profile < environment < flags, unknown keys refused by name."""

from __future__ import annotations

from pathlib import Path

import pytest

from prevoir.config import forecaster_spec, load_settings, transform_spec
from prevoir.errors import ConfigError, ConflictError, NotFoundError
from prevoir.workflows.scaffold import init_project

MINIMAL = """
[store]
url = "sqlite:///x.db"
[datasets.a]
source = { kind = "csv", path = "data/*.csv" }
values = ["y", "t"]
[forecasters.f]
dataset = "a"
target = "y"
model = { kind = "lightgbm", params = { n_estimators = 300, num_leaves = 31 } }
[profiles.dev.forecasters.f]
train_stride = 4
model = { params = { n_estimators = 20 } }
"""


@pytest.fixture
def project(tmp_path: Path, no_prevoir_env: None) -> Path:
    (tmp_path / "prevoir.toml").write_text(MINIMAL)
    return tmp_path


def test_profile_deep_merges_over_the_file(project: Path) -> None:
    base = load_settings(project)
    dev = load_settings(project, profile="dev")
    assert base.forecasters["f"].train_stride == 1
    assert dev.forecasters["f"].train_stride == 4
    # the profile changed one parameter and kept the others and the kind
    assert dev.forecasters["f"].model.params == {"n_estimators": 20, "num_leaves": 31}
    assert dev.forecasters["f"].model.kind == "lightgbm"
    assert dev.profile == "dev"


def test_environment_overrides_file_and_profile(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREVOIR_STORE__URL", "postgresql+psycopg://me@db.example/prod")
    monkeypatch.setenv("PREVOIR_FORECASTERS__F__TRAIN_STRIDE", "9")
    settings = load_settings(project, profile="dev")
    assert settings.store.url == "postgresql+psycopg://me@db.example/prod"
    assert settings.forecasters["f"].train_stride == 9
    assert settings.forecasters["f"].model.params["n_estimators"] == 20


def test_flags_override_environment(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PREVOIR_STORE__URL", "sqlite:///from-env.db")
    settings = load_settings(project, overrides={"store": {"url": "sqlite:///from-flag.db"}})
    assert settings.store_url().endswith("from-flag.db")


def test_relative_sqlite_url_resolves_in_the_project(project: Path) -> None:
    assert load_settings(project).store_url() == f"sqlite:///{(project / 'x.db').resolve()}"


def test_password_comes_from_env_and_is_masked(
    project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PREVOIR_STORE__URL", "postgresql+psycopg://me@db/prod")
    monkeypatch.setenv("PREVOIR_STORE__PASSWORD", "p@ss/word")
    settings = load_settings(project)
    assert settings.store_url() == "postgresql+psycopg://me:p%40ss%2Fword@db/prod"
    shown = str(settings.masked())
    assert "p@ss" not in shown and "p%40ss" not in shown


def test_dotenv_file_is_read(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (project / ".env").write_text("PREVOIR_FORECASTERS__F__MIN_TRAIN_ROWS=77\n")
    assert load_settings(project).forecasters["f"].min_train_rows == 77


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (("train_stride = 4", "train_strid = 4"), "forecasters.f.train_strid"),
        (('target = "y"', 'target = "y"\nhorizons = "soon"'), "forecasters.f.horizons"),
        (('values = ["y", "t"]', ""), "datasets.a.values"),
        (("[store]", "[stor]"), "stor"),
    ],
)
def test_typos_and_wrong_types_name_the_key(
    project: Path, edit: tuple[str, str], expected: str
) -> None:
    path = project / "prevoir.toml"
    path.write_text(path.read_text().replace(*edit))
    with pytest.raises(ConfigError, match=f"`{expected}"):
        load_settings(project, profile="dev")


def test_unknown_profile_lists_the_known_ones(project: Path) -> None:
    with pytest.raises(ConfigError, match=r"profile 'prdo' is not declared.*dev"):
        load_settings(project, profile="prdo")


def test_invalid_toml_names_the_file(project: Path) -> None:
    (project / "prevoir.toml").write_text("[store\nurl=")
    with pytest.raises(ConfigError, match=r"prevoir\.toml is not valid TOML"):
        load_settings(project)


def test_target_must_be_a_value_of_the_dataset(project: Path) -> None:
    path = project / "prevoir.toml"
    path.write_text(path.read_text().replace('target = "y"', 'target = "z"'))
    with pytest.raises(ConfigError, match=r"forecasters\.f\.target: 'z' is not a value column"):
        forecaster_spec("f", load_settings(project))


@pytest.mark.parametrize("example", ["bikes", "crypto"])
@pytest.mark.parametrize("profile", [None, "dev", "prod"])
def test_shipped_examples_are_valid(tmp_path: Path, example: str, profile: str | None) -> None:
    init_project(tmp_path, example=example)
    settings = load_settings(tmp_path, profile=profile)
    for name in settings.forecasters:
        spec = forecaster_spec(name, settings)
        assert spec.horizons and spec.dataset in settings.datasets
    for name, dataset in settings.datasets.items():
        assert transform_spec(name, dataset).values == tuple(dataset.values)
    assert list(tmp_path.glob("data/*.csv"))


def test_init_refuses_to_overwrite_and_unknown_examples(tmp_path: Path) -> None:
    init_project(tmp_path, example="crypto")
    with pytest.raises(ConflictError, match=r"already exists.*--force"):
        init_project(tmp_path, example="bikes")
    assert init_project(tmp_path, example="bikes", force=True)
    with pytest.raises(NotFoundError, match="bikes, crypto"):
        init_project(tmp_path / "x", example="weather")


def test_every_kind_the_config_accepts_builds_a_model(project: Path) -> None:
    from typing import get_args

    from prevoir.domain.specs import ModelKind
    from prevoir.models.factory import MODEL_KINDS, make_model

    accepted = set(get_args(ModelKind))
    assert accepted == set(MODEL_KINDS)
    path = project / "prevoir.toml"
    for kind in sorted(accepted):
        path.write_text(
            MINIMAL.replace(
                'kind = "lightgbm", params = { n_estimators = 300, num_leaves = 31 }',
                f'kind = "{kind}"'
                + (', members = [{ kind = "seasonal_naive" }]' if kind == "ensemble" else ""),
            ).replace("model = { params = { n_estimators = 20 } }", "")
        )
        model = make_model(forecaster_spec("f", load_settings(project)))
        assert not model.is_fitted and model.spec.model.kind == kind

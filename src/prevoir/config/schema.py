"""The settings tree of one project under one profile, built from the domain's declarations.

``[datasets.<name>]`` and ``[forecasters.<name>]`` tables are ``DatasetDecl`` and
``ForecasterDecl`` (``prevoir.domain.specs``), ``[mlflow]`` is ``MlflowSpec``: their fields
and checks live there once. This module adds only what is about the project itself: the
store, folders, threads, the service.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote

from pydantic import BaseModel, ConfigDict, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from prevoir.config.service import ServiceSettings
from prevoir.domain.admission import key_problem
from prevoir.domain.datasets import DatasetDecl
from prevoir.domain.specs import ForecasterDecl, MlflowSpec
from prevoir.domain.urls import mask_url

__all__ = ["Settings", "StoreSettings", "resolve_sqlite"]


class StoreSettings(BaseModel):
    """Where observations, forecasts, runs and model versions live (one SQLAlchemy URL)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    url: str = "sqlite:///prevoir.db"
    password: SecretStr | None = None  # set through PREVOIR_STORE__PASSWORD, never the file


class Settings(BaseSettings):
    """The effective configuration of one project under one profile."""

    model_config = SettingsConfigDict(
        env_prefix="PREVOIR_",
        env_nested_delimiter="__",
        extra="forbid",
        frozen=True,
    )

    project_dir: Path = Path()
    profile: str = "default"
    store: StoreSettings = StoreSettings()
    artifacts_dir: str = "artifacts"
    # where model versions' bytes go: a folder (relative to the project) or any fsspec URL
    # (s3://bucket/prefix, gs://…, file:///…); default: <artifacts_dir>/<profile>/models
    model_store: str | None = None
    # threads per model fit/predict; unset: the cores this process may run on
    threads: int | None = Field(default=None, ge=1)
    datasets: dict[str, DatasetDecl] = Field(default_factory=dict)
    forecasters: dict[str, ForecasterDecl] = Field(default_factory=dict)
    # names under which other producers publish forecasts (POST /forecasts/{name}); prevoir
    # trains nothing for them. Posts to any other undeclared name are refused.
    external_forecasters: tuple[str, ...] = ()
    mlflow: MlflowSpec | None = None  # absent: no MLflow mirror
    service: ServiceSettings = ServiceSettings()

    @model_validator(mode="after")
    def _external_names(self) -> Settings:
        clash = sorted(set(self.external_forecasters) & set(self.forecasters))
        if clash:
            raise ValueError(
                f"external_forecasters {clash} are also [forecasters.*] tables; a name is "
                "either prevoir's own forecaster or another producer's, not both"
            )
        for name in self.external_forecasters:
            problem = key_problem(name)
            if problem:
                raise ValueError(f"external forecaster name {name[:60]!r} {problem}")
        return self

    def store_url(self) -> str:
        """The store URL with a relative SQLite path resolved against the project folder."""
        url = self.store.url
        if self.store.password is not None:
            url = _with_password(url, self.store.password.get_secret_value())
        return resolve_sqlite(url, self.project_dir)

    def artifacts_path(self) -> Path:
        """This profile's folder for run files (feature tables, plots, predictions) and, by
        default, model bytes: ``<artifacts_dir>/<profile>``, so two profiles' run 1 never
        write over each other, nor does pruning one profile's store touch another's models."""
        return (self.project_dir / self.artifacts_dir / self.profile).resolve()

    def model_store_location(self) -> str:
        """Model artifact root: an fsspec URL as given, or an absolute local folder."""
        if self.model_store is None:
            return str(self.artifacts_path() / "models")
        if "://" in self.model_store:
            return self.model_store.rstrip("/")
        return str((self.project_dir / self.model_store).resolve())

    def config_hash(self) -> str:
        """sha256 of the effective config, recorded with runs so results trace to it."""
        # where results are stored or mirrored does not change them
        outside = {"store", "mlflow", "service", "external_forecasters"}
        shown = self.model_dump(mode="json", exclude=outside)
        text = json.dumps(shown, sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()[:16]

    def masked(self) -> dict[str, Any]:
        """The effective config as plain data with secrets and URL passwords hidden."""
        data = _masked(self.model_dump(mode="json"))  # every string: store, sources, mlflow…
        if self.store.password is not None:
            data["store"]["password"] = "**********"
        return data


def _masked(value: Any) -> Any:
    """``value`` with ``mask_url`` applied to every string in it (URLs in any field, DSNs)."""
    if isinstance(value, dict):
        return {key: _masked(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_masked(item) for item in value]
    return mask_url(value) if isinstance(value, str) else value


def resolve_sqlite(url: str, project_dir: Path) -> str:
    """``url`` with a relative SQLite path made absolute against ``project_dir``."""
    prefix = "sqlite:///"
    if url.startswith(prefix) and not url.startswith(prefix + "/") and ":memory:" not in url:
        return prefix + str((project_dir / url[len(prefix) :]).resolve())
    return url


def _with_password(url: str, password: str) -> str:
    """Put ``password`` into a ``scheme://user@host`` URL that has none."""
    quoted = quote(password, safe="")
    return re.sub(r"(://[^:/@]+)@", lambda m: f"{m.group(1)}:{quoted}@", url, count=1)

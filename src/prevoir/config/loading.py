"""Reading ``prevoir.toml``: profiles merged over the file, then ``.env``, ``PREVOIR_*``
environment variables (nested with ``__``, e.g. ``PREVOIR_STORE__URL``) and CLI flags on top.

Nothing runs at import. Every table forbids unknown keys, so a typo is an error that names
the key.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_settings import BaseSettings, PydanticBaseSettingsSource

from prevoir.config.schema import Settings
from prevoir.errors import ConfigError

__all__ = [
    "CONFIG_FILE",
    "declared_profiles",
    "describe_errors",
    "find_project_dir",
    "load_settings",
]

CONFIG_FILE = "prevoir.toml"


def find_project_dir(start: Path) -> Path:
    """The nearest folder at or above ``start`` that holds a ``prevoir.toml``."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ConfigError(
        f"no {CONFIG_FILE} in {start} or any parent folder; "
        "create a project with `prevoir init DIR --example bikes` or pass --project DIR"
    )


def declared_profiles(project_dir: Path) -> list[str]:
    """``default`` and every ``[profiles.<name>]`` of the project's file, in file order."""
    return ["default", *_read_toml(project_dir / CONFIG_FILE).get("profiles", {})]


def load_settings(
    project_dir: Path, *, profile: str | None = None, overrides: Mapping[str, Any] | None = None
) -> Settings:
    """Read ``prevoir.toml`` under ``profile`` with env and ``overrides`` applied on top."""
    path = project_dir / CONFIG_FILE
    data = _read_toml(path)
    profiles = data.pop("profiles", {})
    name = profile or "default"
    if profile is not None and profile != "default":
        if profile not in profiles:
            known = ", ".join(sorted(profiles)) or "none"
            raise ConfigError(
                f"{path}: profile {profile!r} is not declared (known profiles: {known}); "
                f"add a [profiles.{profile}] table"
            )
        data = _deep_merge(data, profiles[profile])
    data.update({"project_dir": project_dir.resolve(), "profile": name})
    env_file = project_dir / ".env"
    try:
        return _layered(data)(
            _env_file=env_file if env_file.is_file() else None, **dict(overrides or {})
        )
    except ValidationError as exc:
        raise ConfigError(describe_errors(exc, str(path))) from exc


def _layered(file_data: dict[str, Any]) -> type[Settings]:
    """A Settings class whose sources are: flags > environment > .env > ``file_data``."""

    class LayeredSettings(Settings):
        @classmethod
        def settings_customise_sources(
            cls,
            settings_cls: type[BaseSettings],
            init_settings: PydanticBaseSettingsSource,
            env_settings: PydanticBaseSettingsSource,
            dotenv_settings: PydanticBaseSettingsSource,
            file_secret_settings: PydanticBaseSettingsSource,
        ) -> tuple[PydanticBaseSettingsSource, ...]:
            file_source = _DictSource(settings_cls, file_data)
            return init_settings, env_settings, dotenv_settings, file_source

    return LayeredSettings


class _DictSource(PydanticBaseSettingsSource):
    """A settings source over an already-parsed mapping (the merged TOML)."""

    def __init__(self, settings_cls: type[BaseSettings], data: dict[str, Any]) -> None:
        super().__init__(settings_cls)
        self._data = data

    def get_field_value(self, field: Any, field_name: str) -> tuple[Any, str, bool]:
        return self._data.get(field_name), field_name, False

    def __call__(self) -> dict[str, Any]:
        return dict(self._data)


def _read_toml(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise ConfigError(
            f"{path} does not exist; create a project with `prevoir init DIR --example bikes`"
        )
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc


def _deep_merge(base: dict[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    merged = dict(base)
    for key, value in override.items():
        if isinstance(value, Mapping) and isinstance(merged.get(key), dict):
            merged[key] = _deep_merge(merged[key], value)
        else:
            merged[key] = value
    return merged


_UNKNOWN = {"extra_forbidden", "unexpected_keyword_argument"}
_MISSING = {"missing", "missing_argument", "missing_keyword_only_argument"}


def describe_errors(exc: ValidationError, where: str, *, prefix: str = "") -> str:
    """One line per problem, each naming its dotted key (``prefix`` + pydantic's location)."""
    lines = [f"{where}: {exc.error_count()} problem(s) in the configuration"]
    for error in exc.errors():
        key = prefix + ".".join(str(part) for part in error["loc"])
        if error["type"] in _UNKNOWN:
            lines.append(f"  - unknown key `{key}`: remove it or check its spelling")
        elif error["type"] in _MISSING:
            lines.append(f"  - missing key `{key}`: add it")
        else:
            message = error["msg"].removeprefix("Value error, ")
            lines.append(f"  - `{key}`: {message} (got {error.get('input')!r})")
    return "\n".join(lines)

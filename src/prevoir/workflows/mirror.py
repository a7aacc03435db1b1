"""Build the registry mirror a project's settings ask for (MLflow, or none)."""

from __future__ import annotations

from prevoir.config import Settings, mlflow_spec
from prevoir.errors import ConfigError
from prevoir.registry.mirror import NoMirror, RegistryMirror


def open_mirror(settings: Settings, *, notes: list[str]) -> RegistryMirror:
    """The MLflow mirror when ``[mlflow]`` is set, else one that mirrors nothing.

    MLflow is imported only here, so prevoir runs without it; problems while mirroring are
    appended to ``notes`` instead of failing the caller.
    """
    spec = mlflow_spec(settings)
    if spec is None:
        return NoMirror()
    try:
        from prevoir.registry.mlflow_mirror import MlflowMirror  # optional extra
    except ImportError as exc:
        raise ConfigError(
            f"prevoir.toml has an [mlflow] section but MLflow cannot be imported ({exc}); "
            "install it with: pip install 'prevoir[mlflow]' (or remove the [mlflow] section)"
        ) from exc
    return MlflowMirror(spec, profile=settings.profile, notes=notes)

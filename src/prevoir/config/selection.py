"""Which forecasters a run is for, and which datasets they read: the ``--forecaster`` and
``--tag`` of ``prevoir run``, of ``POST /api/v1/runs`` and of a scheduled job.

A run may be asked for some forecasters by name, by tags (``tags = { granularity = "hour" }``
in their tables; every tag given must match), or both (both must hold). It then extracts
and loads only the datasets those forecasters read (their own and their exogenous ones),
and trains, evaluates and forecasts only them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from prevoir.config.schema import Settings
from prevoir.errors import ConfigError

__all__ = ["datasets_of", "parse_tags", "select_forecasters"]


def select_forecasters(
    settings: Settings, names: Iterable[str] = (), tags: Mapping[str, str] | None = None
) -> tuple[str, ...]:
    """The forecasters asked for, in the config's order; ``()`` when nothing was asked
    (every forecaster). ``ConfigError`` for an unknown name or a selection of none."""
    names, tags = list(dict.fromkeys(names)), dict(tags or {})
    if not names and not tags:
        return ()
    declared = settings.forecasters
    unknown = [name for name in names if name not in declared]
    if unknown:
        raise ConfigError(
            f"no forecaster {', '.join(map(repr, unknown))} in the project (forecasters: "
            f"{', '.join(declared) or 'none'})"
        )
    chosen = tuple(
        name
        for name, decl in declared.items()
        if (not names or name in names) and all(decl.tags.get(k) == v for k, v in tags.items())
    )
    if not chosen:
        shown = ", ".join(f"{k}={v}" for k, v in tags.items())
        raise ConfigError(
            f"no forecaster{' of ' + ', '.join(names) if names else ''} has the tags {shown} "
            f"(tags declared: {_declared_tags(settings) or 'none'}); fix --tag or the "
            "forecasters' tags"
        )
    return chosen


def datasets_of(settings: Settings, forecasters: Iterable[str]) -> tuple[str, ...]:
    """The datasets ``forecasters`` read (their own and their exogenous ones), in the
    config's order."""
    wanted: set[str] = set()
    for name in forecasters:
        decl = settings.forecasters[name]
        wanted |= {decl.dataset, *(exo.dataset for exo in decl.exogenous)}
    return tuple(name for name in settings.datasets if name in wanted)


def parse_tags(pairs: Iterable[str]) -> dict[str, str]:
    """``["granularity=hour", …]`` as a mapping; ``ConfigError`` for a pair without ``=``."""
    tags: dict[str, str] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"tag {pair!r} is not KEY=VALUE (e.g. granularity=hour)")
        tags[key.strip()] = value.strip()
    return tags


def _declared_tags(settings: Settings) -> str:
    pairs = {f"{k}={v}" for decl in settings.forecasters.values() for k, v in decl.tags.items()}
    return ", ".join(sorted(pairs))

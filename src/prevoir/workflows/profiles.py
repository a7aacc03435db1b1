"""Which other profiles hold data, for a command that finds none in its own.

Profiles may name stores of their own (the bikes example's ``dev`` profile writes
``prevoir-dev.db``): a newcomer who ran ``prevoir run --profile dev`` and then types
``prevoir forecasts`` sees an empty default store, and is told to add ``--profile dev``.
"""

from __future__ import annotations

from typing import Literal

from sqlalchemy import Connection

from prevoir.config import Settings, declared_profiles, load_settings
from prevoir.errors import PrevoirError
from prevoir.storage.forecasts import count_forecasts
from prevoir.storage.model_versions import list_model_versions
from prevoir.storage.runs import list_runs
from prevoir.storage.store import Store

__all__ = ["Holding", "profiles_holding"]

Holding = Literal["forecasts", "versions", "runs"]


def profiles_holding(settings: Settings, what: Holding) -> list[str]:
    """The profiles other than ``settings``' whose own store (another URL) holds some
    ``what``; their stores are looked at, never created."""
    found = []
    for name in declared_profiles(settings.project_dir):
        if name == settings.profile:
            continue
        try:
            url = load_settings(settings.project_dir, profile=name).store_url()
        except PrevoirError:
            continue
        if url == settings.store_url():
            continue
        store = Store.existing(url)
        if store is None:
            continue
        with store, store.read() as conn:
            if _holds(conn, what):
                found.append(name)
    return found


def _holds(conn: Connection, what: Holding) -> bool:
    if what == "forecasts":
        return count_forecasts(conn) > 0
    if what == "versions":
        return bool(list_model_versions(conn))
    return bool(list_runs(conn, limit=1))

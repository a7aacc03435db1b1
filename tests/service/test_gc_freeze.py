"""The server freezes what it holds for its whole life out of the garbage collector's full
passes (a pause of every thread, the event loop included), and gives it back at shutdown."""

from __future__ import annotations

import gc
from collections.abc import Callable
from pathlib import Path

from tests.service.conftest import Service


def test_the_app_freezes_its_long_lived_objects_while_it_runs(
    service_client: Callable[..., Service], tmp_path: Path
) -> None:
    gc.unfreeze()
    service = service_client(f"sqlite:///{tmp_path}/store.db")
    frozen = gc.get_freeze_count()
    assert frozen > 100_000, frozen  # the imports and the open project
    assert service.client.get("/healthz").status_code == 200
    service.client.__exit__(None, None, None)
    assert gc.get_freeze_count() == 0

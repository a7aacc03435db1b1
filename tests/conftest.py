"""Fixtures shared by every suite, and how the suite is ordered for two workers."""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator

import pytest

from tests.projects import close_opened

pytest_plugins = ("tests.stores",)  # the shared trained stores: crypto_dev, bikes_dev

# OpenMP threads (LightGBM, XGBoost) that finish a parallel region spin for the next one by
# default; with two test workers on two cores they spin against each other's fits and turn
# a 10 s test into 30-100 s (tests/unit on two workers: 35 s passive, 120 s with
# OMP_WAIT_POLICY=ACTIVE). In a single process the default is the faster one
# (tests/unit/test_models.py: 10 s, 28 s passive: many short parallel regions), so only
# xdist workers wait passively. Passive waiting changes no result. Set before any test
# module imports a library that loads the OpenMP runtime; inherited by every ``python -m
# prevoir`` a worker starts. An explicit OMP_WAIT_POLICY wins.
if os.environ.get("PYTEST_XDIST_WORKER"):
    os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Modules marked ``slow`` run first, each kept in one piece (their module-scoped
    fixtures are built once): with ``--maxschedchunk 1`` (``make test``) the workers then
    take the long tests one at a time while the short ones fill the end of the run."""
    slow_modules = {item.module for item in items if item.get_closest_marker("slow")}
    items.sort(key=lambda item: item.module not in slow_modules)


@pytest.fixture
def no_prevoir_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hide the developer's ``PREVOIR_*`` settings so config tests see only their files.

    ``PREVOIR_TEST_*`` (which server the suite uses) is kept.
    """
    for name in list(os.environ):
        if name.startswith("PREVOIR_") and not name.startswith("PREVOIR_TEST_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _close_opened_projects() -> Iterator[None]:
    """Close the stores that ``tests.projects.opened`` opened during the test."""
    yield
    close_opened()


@contextlib.contextmanager
def cheap_password_hashing() -> Iterator[None]:
    """Hash the passwords the tests store with argon2 at its smallest cost.

    The recommended parameters (``PasswordHash.recommended()``, what ``prevoir`` uses) cost
    0.1 s a hash on a quiet two-core box and up to a second on a busy one, paid at every
    ``create_user`` and every login. A stored hash carries its parameters, so logins
    against these hashes are cheap too, in this process or in a server. The one place
    that reaches into ``prevoir.workflows.access``; ``test_auth.py`` checks the real
    parameters without it.
    """
    from pwdlib import PasswordHash
    from pwdlib.hashers.argon2 import Argon2Hasher

    from prevoir.workflows import access

    cheap = PasswordHash((Argon2Hasher(time_cost=1, memory_cost=1024, parallelism=1),))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(access, "_hasher", lambda: cheap)
        yield


@pytest.fixture
def cheap_passwords() -> Iterator[None]:
    """``cheap_password_hashing`` for one test."""
    with cheap_password_hashing():
        yield

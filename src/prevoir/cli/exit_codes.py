"""CLI exit codes, in one place, and the translation of errors to them."""

from __future__ import annotations

from prevoir.errors import (
    ArtifactIntegrityError,
    ConfigError,
    ConflictError,
    DataValidationError,
    MissingInputError,
    NotFoundError,
    PartialRunError,
    PrevoirError,
    RunCancelledError,
    StepFailedError,
    StoreError,
)

OK = 0
FAILURE = 1
CONFIG = 2
BAD_DATA = 3
NOT_FOUND = 4
CONFLICT = 5
STORE = 6
MISSING_INPUT = 7
INTEGRITY = 8
PARTIAL = 9  # some forecasters failed, the others finished
INTERRUPTED = 130  # Ctrl-C (SIGINT): 128 + 2, as shells report it
TERMINATED = 143  # SIGTERM: 128 + 15
SIGNALS = {"SIGINT": INTERRUPTED, "SIGTERM": TERMINATED}

_BY_TYPE: tuple[tuple[type[BaseException], int], ...] = (
    (ConfigError, CONFIG),
    (DataValidationError, BAD_DATA),
    (NotFoundError, NOT_FOUND),
    (ConflictError, CONFLICT),
    (StoreError, STORE),
    (MissingInputError, MISSING_INPUT),
    (ArtifactIntegrityError, INTEGRITY),
    (PartialRunError, PARTIAL),
    (PrevoirError, FAILURE),
)


def exit_code(error: BaseException) -> int:
    """The exit code for ``error``; a failed step exits with the code of its cause."""
    if isinstance(error, StepFailedError):
        return exit_code(error.cause)
    if isinstance(error, RunCancelledError):
        return SIGNALS.get(error.signal_name, FAILURE)
    for kind, code in _BY_TYPE:
        if isinstance(error, kind):
            return code
    return FAILURE

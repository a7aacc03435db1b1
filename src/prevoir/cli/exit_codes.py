"""CLI exit codes, in one place, and the translation of errors to them."""

from __future__ import annotations

from prevoir.errors import (
    ArtifactIntegrityError,
    ConfigError,
    ConflictError,
    DataValidationError,
    MissingInputError,
    NotFoundError,
    PrevoirError,
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

_BY_TYPE: tuple[tuple[type[BaseException], int], ...] = (
    (ConfigError, CONFIG),
    (DataValidationError, BAD_DATA),
    (NotFoundError, NOT_FOUND),
    (ConflictError, CONFLICT),
    (StoreError, STORE),
    (MissingInputError, MISSING_INPUT),
    (ArtifactIntegrityError, INTEGRITY),
    (PrevoirError, FAILURE),
)


def exit_code(error: BaseException) -> int:
    """The exit code for ``error``; a failed step exits with the code of its cause."""
    if isinstance(error, StepFailedError):
        return exit_code(error.cause)
    for kind, code in _BY_TYPE:
        if isinstance(error, kind):
            return code
    return FAILURE

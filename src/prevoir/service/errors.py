"""prevoir's own errors as HTTP answers: the same messages the CLI prints, with a status."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from prevoir.errors import (
    ConfigError,
    ConflictError,
    DataValidationError,
    NotFoundError,
    PrevoirError,
    StoreError,
)

STATUS = (
    (NotFoundError, 404),
    (ConflictError, 409),
    (DataValidationError, 422),
    (ConfigError, 400),
    (StoreError, 503),
)


def status_of(exc: PrevoirError) -> int:
    """The HTTP status for a prevoir error (500 for anything unexpected)."""
    return next((code for kind, code in STATUS if isinstance(exc, kind)), 500)


def install_error_handlers(app: FastAPI) -> None:
    """Answer ``PrevoirError`` with its status and message as ``{"detail": ...}``."""

    async def handle(_request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, PrevoirError)
        return JSONResponse({"detail": str(exc)}, status_code=status_of(exc))

    app.add_exception_handler(PrevoirError, handle)

"""One error tree for prevoir; every message names the thing at fault and says what to do next."""

from __future__ import annotations

__all__ = [
    "ArtifactIntegrityError",
    "ConfigError",
    "ConflictError",
    "DataValidationError",
    "EmptyStoreError",
    "Interrupted",
    "MissingInputError",
    "NotFoundError",
    "PartialRunError",
    "PrevoirError",
    "RunCancelledError",
    "StepFailedError",
    "StoreError",
]


class PrevoirError(Exception):
    """Base of every error prevoir raises on purpose."""


class ConfigError(PrevoirError):
    """The project configuration is missing, malformed or inconsistent."""


class DataValidationError(PrevoirError, ValueError):
    """Input data breaks the declared contract (file, row or column named in the message)."""


class NotFoundError(PrevoirError, LookupError):
    """A named thing (forecaster, series, run, model version) does not exist."""


class ConflictError(PrevoirError):
    """The request clashes with the current state (duplicate, lock held, ...)."""


class StoreError(PrevoirError):
    """The store cannot be reached or is not at the expected schema."""


class EmptyStoreError(StoreError):
    """The store has no prevoir tables yet (nothing was ever run or migrated there)."""


class ArtifactIntegrityError(PrevoirError):
    """A stored artifact is missing or its sha256 differs from the recorded one."""


class MissingInputError(PrevoirError):
    """A pipeline step was asked to run before the step that produces its inputs."""

    def __init__(self, step: str, needs: str, what: str) -> None:
        super().__init__(
            f"step {step!r} needs {what}, which no run has produced yet; "
            f"run `prevoir run --steps {needs}` first"
        )
        self.step = step
        self.needs = needs


class StepFailedError(PrevoirError):
    """A pipeline step failed; the run is marked failed and earlier state is intact."""

    def __init__(self, step: str, run_id: int | None, cause: BaseException) -> None:
        super().__init__(f"step {step!r} failed (run {run_id}): {cause}")
        self.step = step
        self.run_id = run_id
        self.cause = cause


class PartialRunError(PrevoirError):
    """Some forecasters failed in a run whose other forecasters finished (status ``partial``)."""

    def __init__(self, run_id: int, failures: dict[str, str]) -> None:
        listed = "; ".join(f"{name}: {why}" for name, why in failures.items())
        super().__init__(
            f"run {run_id} finished for the other forecasters, but {len(failures)} failed "
            f"({listed}); their champions and earlier forecasts are unchanged: fix the cause "
            "and run again"
        )
        self.run_id = run_id
        self.failures = dict(failures)


class Interrupted(BaseException):
    """A stop signal reached a run (SIGTERM; SIGINT arrives as ``KeyboardInterrupt``).

    A ``BaseException`` like ``KeyboardInterrupt``, so that no ``except Exception`` on the
    way up turns it into a step failure.
    """

    def __init__(self, signal_name: str) -> None:
        super().__init__(signal_name)
        self.signal_name = signal_name


class RunCancelledError(PrevoirError):
    """A run was stopped by a signal: recorded ``cancelled``, its leases released."""

    def __init__(self, run_id: int, step: str | None, signal_name: str) -> None:
        where = f"in step {step!r}" if step else "before its first step"
        super().__init__(
            f"run {run_id} cancelled by {signal_name} {where}; the step's writes were rolled "
            "back and committed work is kept: run again to continue"
        )
        self.run_id = run_id
        self.step = step
        self.signal_name = signal_name

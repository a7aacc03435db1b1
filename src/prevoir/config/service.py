"""``[service]``: where ``prevoir serve`` listens, how it signs tokens, what it schedules."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from prevoir.errors import ConfigError

__all__ = ["DEV_SECRET", "MissedFiring", "ScheduledJobSettings", "ServiceSettings"]

DEV_SECRET = "prevoir-dev-secret-do-not-use-in-production"
MIN_SECRET = 32
MissedFiring = Literal["run_once", "skip"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScheduledJobSettings(_Strict):
    """One scheduled run: a crontab line (UTC unless ``timezone``) and the steps it runs."""

    cron: str  # five fields: minute hour day month weekday, e.g. "0 */6 * * *"
    steps: tuple[str, ...] | None = None  # None: every step
    timezone: str = "UTC"
    # a firing missed while no server ran: "run_once" runs it once at start, "skip" logs it
    missed: MissedFiring = "skip"


class ServiceSettings(_Strict):
    """``prevoir serve``: where it listens, how it signs tokens, what it schedules."""

    # "dev" allows the built-in signing secret; anything else needs PREVOIR_SERVICE__SECRET_KEY
    environment: str = "dev"
    secret_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    token_minutes: int = Field(default=60, ge=1)
    max_body_bytes: int = Field(default=10_000_000, ge=1024)  # larger bodies get 413
    scheduler: bool = True  # False: serve the API and dashboard only
    # POST /api/v1/runs: runs waiting for a worker at most (more get 429 with Retry-After),
    # and worker processes running them at once (each a `prevoir run --run-id N`)
    run_queue_size: int = Field(default=8, ge=1)
    run_workers: int = Field(default=1, ge=1)
    schedule: dict[str, ScheduledJobSettings] = Field(default_factory=dict)

    def signing_secret(self) -> str:
        """The secret that signs tokens; the built-in one only in ``dev``."""
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if self.environment == "dev" and not secret:
            return DEV_SECRET
        if not secret or secret == DEV_SECRET or len(secret) < MIN_SECRET:
            raise ConfigError(
                f"the service runs in environment {self.environment!r} without a signing "
                f"secret of its own: set PREVOIR_SERVICE__SECRET_KEY to a random string of "
                f"{MIN_SECRET} characters or more (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)"
            )
        return secret

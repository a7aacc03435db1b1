"""``[service]``: where ``prevoir serve`` listens, how it signs tokens, what it schedules."""

from __future__ import annotations

import ipaddress
import logging
import os
import secrets
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, SecretStr

from prevoir.errors import ConfigError

__all__ = [
    "DEV_SECRET_FILE",
    "MissedFiring",
    "ScheduledJobSettings",
    "ServiceSettings",
    "dev_secret",
    "is_loopback",
]

logger = logging.getLogger(__name__)

DEV_SECRET_FILE = Path(".prevoir") / "secret"  # in the project folder
MIN_SECRET = 32
MissedFiring = Literal["run_once", "skip"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ScheduledJobSettings(_Strict):
    """One scheduled run: a crontab line (UTC unless ``timezone``) and the steps it runs."""

    cron: str  # five fields: minute hour day month weekday, e.g. "0 */6 * * *"
    steps: tuple[str, ...] | None = None  # None: every step
    forecasters: tuple[str, ...] = ()  # only these (and their datasets); empty: all
    tags: dict[str, str] = Field(default_factory=dict)  # only forecasters with these tags
    timezone: str = "UTC"
    # a firing missed while no server ran: "run_once" runs it once at start, "skip" logs it
    missed: MissedFiring = "skip"


class ServiceSettings(_Strict):
    """``prevoir serve``: where it listens, how it signs tokens, what it schedules."""

    # "dev": a secret generated once per project (.prevoir/secret), loopback addresses only;
    # anything else needs PREVOIR_SERVICE__SECRET_KEY
    environment: str = "dev"
    secret_key: SecretStr | None = None
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    token_minutes: int = Field(default=60, ge=1)
    # failed logins allowed per user name / per client address before each try waits
    # (1 s, doubling, up to login_max_delay_s); see prevoir.service.throttle
    login_attempts: int = Field(default=5, ge=1)
    login_attempts_per_address: int = Field(default=20, ge=1)
    login_max_delay_s: float = Field(default=900.0, gt=0)
    max_body_bytes: int = Field(default=10_000_000, ge=1024)  # larger bodies get 413
    # the server's store connections: kept open, extra ones under load, and how long a
    # request waits for one before it fails (503)
    # threads that run the sync handlers (FastAPI's default is 40: on a few cores, that many
    # Python threads fight the event loop for the GIL); keep db_pool_size + overflow above it
    threads: int = Field(default=8, ge=1, le=200)
    # bulk reads (GET /series pages) running at once; more wait on the event loop
    heavy_requests: int = Field(default=2, ge=1, le=200)
    db_pool_size: int = Field(default=10, ge=1)
    db_max_overflow: int = Field(default=20, ge=0)
    db_pool_timeout_s: float = Field(default=10.0, gt=0)
    scheduler: bool = True  # False: serve the API and dashboard only
    # POST /api/v1/runs: runs waiting for a worker at most (more get 429 with Retry-After),
    # and worker processes running them at once (each a `prevoir run --run-id N`)
    run_queue_size: int = Field(default=8, ge=1)
    run_workers: int = Field(default=1, ge=1)
    schedule: dict[str, ScheduledJobSettings] = Field(default_factory=dict)

    def signing_secret(self, project_dir: Path) -> str:
        """The secret that signs tokens: ``PREVOIR_SERVICE__SECRET_KEY``, or in ``dev`` only
        the project's own generated one (``dev_secret``)."""
        secret = self.secret_key.get_secret_value() if self.secret_key else ""
        if self.environment == "dev" and not secret:
            return dev_secret(project_dir)
        if not secret or len(secret) < MIN_SECRET:
            raise ConfigError(
                f"the service runs in environment {self.environment!r} without a signing "
                f"secret of its own: set PREVOIR_SERVICE__SECRET_KEY to a random string of "
                f"{MIN_SECRET} characters or more (e.g. `python -c 'import secrets; "
                "print(secrets.token_urlsafe(48))'`)"
            )
        return secret

    def engine_options(self, store_url: str) -> dict[str, object]:
        """SQLAlchemy engine options for the server's connection pool (none for an
        in-memory SQLite store, whose single connection is not a pool)."""
        if ":memory:" in store_url or store_url in ("sqlite://", "sqlite:///"):
            return {}
        return {
            "pool_size": self.db_pool_size,
            "max_overflow": self.db_max_overflow,
            "pool_timeout": self.db_pool_timeout_s,
            "pool_pre_ping": True,
        }

    def check_listen(self, host: str) -> None:
        """``ConfigError`` when ``dev`` would listen on ``host``, an address other machines
        reach: dev's secret and defaults are for one machine only."""
        if self.environment == "dev" and not is_loopback(host):
            raise ConfigError(
                f"service.environment is 'dev', which serves on this machine only, but the "
                f"host is {host!r}: listen on 127.0.0.1 (or ::1, localhost), or set "
                'service.environment = "production" with PREVOIR_SERVICE__SECRET_KEY'
            )


def is_loopback(host: str) -> bool:
    """Whether ``host`` is ``localhost`` or a loopback address (127.0.0.0/8, ::1)."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:  # another host name: it may resolve anywhere
        return False


def dev_secret(project_dir: Path) -> str:
    """The project's dev signing secret, ``<project>/.prevoir/secret``: read if it exists,
    else made from ``secrets`` and written once (mode 0600, atomically: two servers starting
    together agree on one secret, and nobody reads a half-written file)."""
    path = project_dir / DEV_SECRET_FILE
    if not path.exists():
        _create_secret(path)
    if path.stat().st_mode & 0o077:
        logger.warning("%s was readable by others; made it private (0600)", path)
        path.chmod(0o600)
    secret = path.read_text(encoding="ascii").strip()
    if len(secret) < MIN_SECRET:
        raise ConfigError(
            f"the dev signing secret in {path} is {len(secret)} characters, not "
            f"{MIN_SECRET} or more: delete the file and a new one is made at the next start"
        )
    return secret


def _create_secret(path: Path) -> None:
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as handle:
            handle.write(secrets.token_urlsafe(48) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        try:
            os.link(draft, path)  # atomic, and never replaces a secret another process made
        except FileExistsError:
            pass
        else:
            logger.info("generated the dev signing secret %s", path)
    finally:
        draft.unlink(missing_ok=True)

"""Prometheus metrics of one server process, served at ``/metrics``.

Each app gets its own ``CollectorRegistry`` (two apps in one test process do not share
counts). Runs are counted per forecaster of the run's profile, as a run covers them all.
"""

from __future__ import annotations

from collections.abc import Iterable

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from prevoir.domain.records import StepRecord

STEP_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800)
HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10)


class ServiceMetrics:
    """The counters, gauges and histograms the service exports."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        labels = ["trigger", "forecaster"]
        self.runs_started = Counter(
            "prevoir_runs_started", "Runs started", labels, registry=self.registry
        )
        self.runs_succeeded = Counter(
            "prevoir_runs_succeeded", "Runs that succeeded", labels, registry=self.registry
        )
        self.runs_failed = Counter(
            "prevoir_runs_failed", "Runs that failed", labels, registry=self.registry
        )
        self.training_started = Counter(
            "prevoir_training_started",
            "Runs started that train models",
            ["forecaster"],
            registry=self.registry,
        )
        self.step_seconds = Histogram(
            "prevoir_step_duration_seconds",
            "Duration of pipeline steps",
            ["step"],
            buckets=STEP_BUCKETS,
            registry=self.registry,
        )
        self.rows_loaded = Counter(
            "prevoir_rows_loaded", "Observation rows loaded into the store", registry=self.registry
        )
        self.forecasts_issued = Counter(
            "prevoir_forecasts_issued", "Forecast rows written", registry=self.registry
        )
        self.last_success = Gauge(
            "prevoir_last_successful_run_timestamp_seconds",
            "Unix time of the last successful run, per forecaster",
            ["forecaster"],
            registry=self.registry,
        )
        self.http_seconds = Histogram(
            "prevoir_http_request_duration_seconds",
            "HTTP request latency by route",
            ["method", "route", "status"],
            buckets=HTTP_BUCKETS,
            registry=self.registry,
        )

        self.login_failures = Counter(
            "prevoir_login_failures",
            "Logins refused for a wrong user name or password",
            registry=self.registry,
        )
        self.login_throttled = Counter(
            "prevoir_login_throttled",
            "Logins answered 429 without checking the password, by what was throttled",
            ["key"],
            registry=self.registry,
        )

    def run_started(self, trigger: str, forecasters: Iterable[str], steps: Iterable[str]) -> None:
        """Count a run that starts (and a training if it has a train step)."""
        trains = "train" in set(steps)
        for forecaster in forecasters:
            self.runs_started.labels(trigger, forecaster).inc()
            if trains:
                self.training_started.labels(forecaster).inc()

    def run_finished(
        self,
        trigger: str,
        forecasters: Iterable[str],
        status: str,
        steps: Iterable[StepRecord],
        finished_at: float,
    ) -> None:
        """Count a finished run and observe its steps (``finished_at``: unix seconds)."""
        counter = self.runs_succeeded if status == "succeeded" else self.runs_failed
        for forecaster in forecasters:
            counter.labels(trigger, forecaster).inc()
            if status == "succeeded":
                self.last_success.labels(forecaster).set(finished_at)
        for record in steps:
            self.step_seconds.labels(record.name).observe(record.duration_s)
            if record.name == "load" and record.status == "succeeded":
                self.rows_loaded.inc(record.rows_out)
            if record.name == "predict" and record.status == "succeeded":
                self.forecasts_issued.inc(record.rows_out)

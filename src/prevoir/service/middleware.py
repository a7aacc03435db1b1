"""Pure ASGI middleware that records request latency by route.

Pure ASGI instead of ``BaseHTTPMiddleware``: no extra task and stream copy per request,
which matters on the hot "latest forecasts" path.
"""

from __future__ import annotations

import time

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from prevoir.service.metrics import ServiceMetrics


class LatencyMiddleware:
    """Observe every HTTP request's duration under its route template (``/series/{key}``)."""

    def __init__(self, app: ASGIApp, metrics: ServiceMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()
        status = [500]

        async def record_status(message: Message) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, record_status)
        finally:
            route = scope.get("route")
            template = getattr(route, "path", None) or "unmatched"
            self.metrics.http_seconds.labels(scope["method"], template, str(status[0])).observe(
                time.perf_counter() - start
            )

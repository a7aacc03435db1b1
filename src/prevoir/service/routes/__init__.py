"""The API's routers, one module per resource.

Each router carries the full ``/api/v1`` prefix itself (rather than at ``include_router``),
so a matched route's ``path`` is the whole template the latency metric is labelled with.
"""

API_PREFIX = "/api/v1"

"""``prevoir serve``: the REST API, its auth, the scheduler, metrics and the dashboard.

This layer sits beside the CLI above ``prevoir.workflows``: it turns HTTP requests and cron
firings into the same workflow calls the CLI makes.
"""

from prevoir.service.app import create_app

__all__ = ["create_app"]

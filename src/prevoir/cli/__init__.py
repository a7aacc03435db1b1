"""The `prevoir` command line: parse, call workflows, print."""

from prevoir.cli.main import app, main

__all__ = ["app", "main"]

"""Every help text prints every word it was written with: ``Profile from [profiles.<name>]
to apply.`` once lost its bracketed part to rich markup."""

from __future__ import annotations

import re
from typing import Any

import typer
from typer.testing import CliRunner

from prevoir.cli.main import app

BRACKETED = re.compile(r"\[[^\]]+\]")


def _commands(command: Any, path: tuple[str, ...] = ()) -> list[tuple[tuple[str, ...], Any]]:
    """Every command under ``command`` (typer's own click: groups have ``commands``)."""
    found = [(path, command)]
    if hasattr(command, "commands"):
        for name, sub in command.commands.items():
            found += _commands(sub, (*path, name))
    return found


def _written(command: Any) -> list[str]:
    texts = [command.help or ""]
    texts += [getattr(param, "help", None) or "" for param in command.params]
    return [t for t in texts if t]


def test_no_help_text_loses_a_bracketed_word() -> None:
    root = typer.main.get_command(app)
    checked = 0
    for path, command in _commands(root):
        shown = CliRunner().invoke(app, [*path, "--help"], terminal_width=100)
        assert shown.exit_code == 0, (path, shown.output)
        flat = " ".join(shown.output.split())
        for text in _written(command):
            first_paragraph = " ".join(text.split("\n\n")[0].split())
            for bracketed in BRACKETED.findall(first_paragraph):
                assert bracketed in flat, (path, bracketed, shown.output)
                checked += 1
    assert checked >= 5  # --profile of every command that has one, at least

"""What ``dev`` allows: a per-project secret, and loopback addresses only."""

from __future__ import annotations

from pathlib import Path

import pytest

from prevoir.config.service import DEV_SECRET_FILE
from tests.cli import Cli


@pytest.mark.parametrize("host", ["0.0.0.0", "192.0.2.7"])
def test_serve_in_dev_refuses_a_public_address(tmp_path: Path, host: str) -> None:
    cli = Cli(tmp_path, f"sqlite:///{tmp_path / 'store.db'}")
    cli("init", str(tmp_path / "p"), "--example", "bikes")
    cli = Cli(tmp_path / "p", cli.store_url)
    done = cli("serve", "--host", host, check=False)
    assert done.returncode != 0
    assert f"host is {host!r}" in done.stderr and "127.0.0.1" in done.stderr
    assert not (cli.project / DEV_SECRET_FILE).exists()  # refused before anything started

"""``[service]``: the dev signing secret kept in the project, and where dev may listen."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from prevoir.config import ServiceSettings
from prevoir.config.service import DEV_SECRET_FILE, dev_secret, is_loopback
from prevoir.errors import ConfigError


def test_dev_generates_a_private_secret_once_per_project(tmp_path: Path) -> None:
    secret = ServiceSettings().signing_secret(tmp_path)
    path = tmp_path / DEV_SECRET_FILE
    assert path.read_text().strip() == secret
    assert len(secret) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    assert ServiceSettings().signing_secret(tmp_path) == secret  # reused, not regenerated
    assert [p.name for p in path.parent.iterdir()] == ["secret"]  # no draft left behind


def test_two_projects_get_different_secrets(tmp_path: Path) -> None:
    assert dev_secret(tmp_path / "a") != dev_secret(tmp_path / "b")


def test_servers_starting_together_agree_on_one_secret(tmp_path: Path) -> None:
    found: list[str] = []
    threads = [
        threading.Thread(target=lambda: found.append(dev_secret(tmp_path))) for _ in range(8)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(found) == 8 and len(set(found)) == 1


def test_a_secret_readable_by_others_is_made_private(tmp_path: Path) -> None:
    secret = dev_secret(tmp_path)
    path = tmp_path / DEV_SECRET_FILE
    path.chmod(0o644)
    assert dev_secret(tmp_path) == secret
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_a_truncated_secret_file_is_refused_with_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / DEV_SECRET_FILE
    path.parent.mkdir()
    path.write_text("short")
    path.chmod(0o600)
    with pytest.raises(ConfigError, match=r"secret.*5 characters.*delete the file"):
        dev_secret(tmp_path)


def test_a_configured_secret_wins_and_no_file_is_written(tmp_path: Path) -> None:
    settings = ServiceSettings(secret_key="k" * 40)
    assert settings.signing_secret(tmp_path) == "k" * 40
    assert not (tmp_path / DEV_SECRET_FILE).exists()


def test_outside_dev_no_secret_is_generated(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="PREVOIR_SERVICE__SECRET_KEY"):
        ServiceSettings(environment="production").signing_secret(tmp_path)
    assert not (tmp_path / DEV_SECRET_FILE).exists()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_dev_listens_on_loopback(host: str) -> None:
    assert is_loopback(host)
    ServiceSettings().check_listen(host)


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.5", "example.org", ""])
def test_dev_refuses_an_address_other_machines_reach(host: str) -> None:
    with pytest.raises(ConfigError, match=r"environment is 'dev'.*127\.0\.0\.1"):
        ServiceSettings().check_listen(host)
    ServiceSettings(environment="production").check_listen(host)  # outside dev: allowed

"""Content-addressed files: written once under their sha256, verified before every read.

A location is a local path or any fsspec URL (``s3://…``, ``gs://…``, ``memory://…``), so
model versions can live in object storage while the store keeps their sha256.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import fsspec
from fsspec.core import url_to_fs

from prevoir.errors import ArtifactIntegrityError, StoreError

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def _location(data: bytes, folder: str | Path, suffix: str) -> tuple[str, str]:
    digest = hashlib.sha256(data).hexdigest()
    if "://" not in str(folder):
        return str(Path(folder) / f"{digest}{suffix}"), digest
    return f"{str(folder).rstrip('/')}/{digest}{suffix}", digest


def artifact_exists(data: bytes, folder: str | Path, *, suffix: str) -> bool:
    """Whether ``write_artifact(data, folder)`` would find its file already there."""
    location, _ = _location(data, folder, suffix)
    try:
        fs, path_in_fs = url_to_fs(location)
        return bool(fs.exists(path_in_fs))
    except (OSError, ValueError, ImportError):
        return False


def write_artifact(data: bytes, folder: str | Path, *, suffix: str) -> tuple[str, str]:
    """Write ``data`` as ``<sha256><suffix>`` under ``folder``; (location, sha256).

    Local files are written to a temporary name and renamed, so a crash never leaves a
    truncated artifact under its final name; object stores write whole objects anyway.
    """
    digest = hashlib.sha256(data).hexdigest()
    name = f"{digest}{suffix}"
    if "://" not in str(folder):
        local = Path(folder)
        local.mkdir(parents=True, exist_ok=True)
        path = local / name
        if not path.exists():
            tmp = path.with_suffix(path.suffix + ".tmp")
            tmp.write_bytes(data)
            tmp.replace(path)
        return str(path), digest
    location = f"{str(folder).rstrip('/')}/{name}"
    try:
        fs, path_in_fs = url_to_fs(location)
        if not fs.exists(path_in_fs):
            fs.makedirs(path_in_fs.rsplit("/", 1)[0], exist_ok=True)
            fs.pipe_file(path_in_fs, data)
    except (OSError, ValueError, ImportError) as exc:
        raise StoreError(f"cannot write the model artifact {location}: {exc}") from exc
    return location, digest


def read_verified(location: str | Path, sha256: str) -> bytes:
    """The artifact's bytes, only if they still hash to ``sha256``."""
    try:
        with fsspec.open(str(location), "rb") as handle:
            data = handle.read()
    except FileNotFoundError:
        raise ArtifactIntegrityError(
            f"artifact {location} is missing; restore it or retrain with `prevoir run --steps "
            "features train evaluate`"
        ) from None
    except (OSError, ValueError, ImportError) as exc:
        raise StoreError(f"cannot read the model artifact {location}: {exc}") from exc
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ArtifactIntegrityError(
            f"artifact {location} was modified: sha256 {actual[:12]}… differs from the "
            f"recorded {sha256[:12]}…; it will not be loaded. Retrain, or restore the original"
        )
    return data


def remove_artifact(location: str) -> None:
    """Delete an artifact if it exists (pruning)."""
    fs, path_in_fs = url_to_fs(location)
    if fs.exists(path_in_fs):
        fs.rm_file(path_in_fs)

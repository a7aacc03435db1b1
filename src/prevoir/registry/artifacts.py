"""Content-addressed files: written once under their sha256, verified before every read."""

from __future__ import annotations

import hashlib
from pathlib import Path

from prevoir.errors import ArtifactIntegrityError

_CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """sha256 of a file, read in chunks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(_CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def write_artifact(data: bytes, folder: Path, *, suffix: str) -> tuple[Path, str]:
    """Write ``data`` atomically as ``<sha256><suffix>`` in ``folder``; (path, sha256)."""
    digest = hashlib.sha256(data).hexdigest()
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{digest}{suffix}"
    if not path.exists():
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_bytes(data)
        tmp.replace(path)
    return path, digest


def read_verified(path: Path, sha256: str) -> bytes:
    """The file's bytes, only if they still hash to ``sha256``."""
    if not path.is_file():
        raise ArtifactIntegrityError(
            f"artifact {path} is missing; restore it or retrain with `prevoir run --steps "
            "features train evaluate`"
        )
    data = path.read_bytes()
    actual = hashlib.sha256(data).hexdigest()
    if actual != sha256:
        raise ArtifactIntegrityError(
            f"artifact {path} was modified: sha256 {actual[:12]}… differs from the recorded "
            f"{sha256[:12]}…; it will not be loaded. Retrain, or restore the original file"
        )
    return data

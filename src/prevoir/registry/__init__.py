"""Model versions: artifact bytes with their sha256, metadata and aliases in the store."""

from prevoir.registry.artifacts import read_verified, sha256_file, write_artifact
from prevoir.registry.versions import load_version, save_version

__all__ = ["load_version", "read_verified", "save_version", "sha256_file", "write_artifact"]

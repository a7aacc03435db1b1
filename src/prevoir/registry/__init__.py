"""Model versions: artifact bytes with their sha256, metadata and aliases in the store."""

from prevoir.registry.artifacts import read_verified, sha256_file, write_artifact
from prevoir.registry.registry import Registry

__all__ = ["Registry", "read_verified", "sha256_file", "write_artifact"]

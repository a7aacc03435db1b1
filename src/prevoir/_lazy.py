"""Package names imported on first use (PEP 562), so importing a package stays cheap.

A package that re-exports classes built on heavy libraries (LightGBM, matplotlib) would
otherwise make every importer pay for all of them, whichever it uses.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping

__all__ = ["lazy_names"]


def lazy_names(
    package: str, defined_in: Mapping[str, str]
) -> tuple[Callable[[str], object], Callable[[], list[str]]]:
    """``__getattr__`` and ``__dir__`` for ``package``: each name of ``defined_in`` (name →
    module) is imported from its module when first read, then kept in the package."""
    namespace = vars(sys.modules[package])

    def attribute(name: str) -> object:
        if name not in defined_in:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = namespace[name] = getattr(importlib.import_module(defined_in[name]), name)
        return value

    def names() -> list[str]:
        return sorted({*namespace, *defined_in})

    return attribute, names

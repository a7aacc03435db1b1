"""The pipeline's step names in run order: shared by the runner and the CLI's help, which
must not import the pipeline (and its libraries) to print them."""

from __future__ import annotations

__all__ = ["STEP_ORDER"]

STEP_ORDER: tuple[str, ...] = (
    "extract",
    "transform",
    "load",
    "features",
    "train",
    "evaluate",
    "predict",
)

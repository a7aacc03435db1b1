"""What the MLflow mirror costs: `train` + `evaluate` of the bikes demo (dev profile) with and
without ``[mlflow]`` (a local SQLite MLflow store), and one manual promotion.

The first mirrored run also creates the MLflow database (MLflow's own migrations), so it is
reported apart from the steady-state runs.

    python bench/mirror.py            # 5 repeats
    python bench/mirror.py --quick    # 1 repeat
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time
import warnings
from collections.abc import Callable
from pathlib import Path

from prevoir.config import load_settings
from prevoir.workflows import (
    Project,
    init_project,
    list_versions,
    open_project,
    promote_version,
    run_pipeline,
)

MIRRORED_STEPS = ["train", "evaluate"]


def _seconds(action: Callable[[], object]) -> float:
    t0 = time.perf_counter()
    action()
    return time.perf_counter() - t0


def _run(project: Project) -> None:
    summary = run_pipeline(project, steps=MIRRORED_STEPS)
    problems = [n for n in summary.notes if "MLflow" in n]
    if summary.status != "succeeded" or problems:
        raise SystemExit(f"run failed: {summary.error or problems}")


def measure(folder: Path, repeats: int) -> dict[str, float]:
    """Median seconds of mirrored and plain runs and promotions on one project."""
    project = folder / "bikes"
    init_project(project, example="bikes", force=True)
    plain = open_project(load_settings(project, profile="dev"), migrate=True)
    mirrored = open_project(
        load_settings(
            project, profile="dev", overrides={"mlflow": {"tracking_uri": "sqlite:///mlflow.db"}}
        )
    )
    try:
        if run_pipeline(plain).status != "succeeded":
            raise SystemExit("the bikes demo failed")
        first = _seconds(lambda: _run(mirrored))
        oldest = list_versions(plain)[0].id
        off, on, promote_off, promote_on = [], [], [], []
        for _ in range(repeats):
            off.append(_seconds(lambda: _run(plain)))
            on.append(_seconds(lambda: _run(mirrored)))
            promote_off.append(_seconds(lambda: promote_version(plain, oldest)))
            promote_on.append(_seconds(lambda: promote_version(mirrored, oldest)))
    finally:
        plain.close()
        mirrored.close()
    return {
        "first_mirrored_s": first,
        "plain_s": statistics.median(off),
        "mirrored_s": statistics.median(on),
        "promote_plain_s": statistics.median(promote_off),
        "promote_mirrored_s": statistics.median(promote_on),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="one repeat")
    args = parser.parse_args()
    repeats = 1 if args.quick else 5
    # MLflow's tracking store uses a SQLAlchemy 2.1-deprecated loader: not ours to show
    warnings.filterwarnings("ignore", message="The ``noload`` loader strategy")
    with tempfile.TemporaryDirectory() as tmp:
        result = measure(Path(tmp), repeats)
    overhead = result["mirrored_s"] - result["plain_s"]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; repeats: {repeats}")
    print(f"{'bikes dev: train + evaluate':<36} {'seconds':>8}")
    print(f"{'  without [mlflow]':<36} {result['plain_s']:>8.2f}")
    print(f"{'  with [mlflow] (SQLite, warm)':<36} {result['mirrored_s']:>8.2f}")
    print(f"{'  first mirrored run (creates db)':<36} {result['first_mirrored_s']:>8.2f}")
    print(f"{'models promote, without / with':<36} ", end="")
    print(f"{result['promote_plain_s']:.2f} / {result['promote_mirrored_s']:.2f}")
    fields = " ".join(f"{k}={v:.2f}" for k, v in result.items())
    print(f"RESULT overhead_s={overhead:.2f} {fields}")


if __name__ == "__main__":
    main()

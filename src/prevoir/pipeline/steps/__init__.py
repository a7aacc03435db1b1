"""One module per pipeline step; ``STEPS`` lists them in pipeline order."""

from collections.abc import Callable

from prevoir.pipeline.context import RunContext
from prevoir.pipeline.steps.evaluate import evaluate
from prevoir.pipeline.steps.extract import extract
from prevoir.pipeline.steps.features import features
from prevoir.pipeline.steps.load import load
from prevoir.pipeline.steps.outcome import StepOutcome
from prevoir.pipeline.steps.predict import predict
from prevoir.pipeline.steps.train import train
from prevoir.pipeline.steps.transform import transform

STEPS: dict[str, Callable[[RunContext], StepOutcome]] = {
    "extract": extract,
    "transform": transform,
    "load": load,
    "features": features,
    "train": train,
    "evaluate": evaluate,
    "predict": predict,
}

__all__ = ["STEPS", "StepOutcome"]

"""Pipeline steps, their shared context, and the runner that times and records them."""

from prevoir.domain.steps import STEP_ORDER
from prevoir.pipeline.context import DatasetPlan, RunContext, StorePort
from prevoir.pipeline.runner import order_steps, run_steps

__all__ = ["STEP_ORDER", "DatasetPlan", "RunContext", "StorePort", "order_steps", "run_steps"]

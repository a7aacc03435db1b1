"""Config snippets shared by the config-driven tests."""

# One CSV dataset ``a`` with value ``y`` and a forecaster ``f`` on it; tests append the
# ``model``/``features`` lines (or a ``[forecasters.f.model]`` table) they exercise.
DATASET_A_FORECASTER_F = """
[datasets.a]
source = { kind = "csv", path = "data/*.csv" }
values = ["y"]
[forecasters.f]
dataset = "a"
target = "y"
"""

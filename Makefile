# The two set-up commands of the README: `make demo` and `make test`. Both create the
# virtualenv in .venv on first use and install the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DIR ?= demo
PREVOIR_TEST_PG_URL ?= postgresql+psycopg://postgres@127.0.0.1:5432/test
export PREVOIR_TEST_PG_URL

.PHONY: demo test lint bench-quick clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

## demo: scaffold the bikes example in ./demo and run the whole pipeline on SQLite
demo: $(STAMP)
	$(BIN)/prevoir init $(DEMO_DIR) --example bikes --force
	cd $(DEMO_DIR) && ../$(BIN)/prevoir run
	cd $(DEMO_DIR) && ../$(BIN)/prevoir forecasts --forecaster fremont_total --limit 24

## test: the whole suite (unit, integration on SQLite and PostgreSQL, end-to-end CLI)
# --maxschedchunk 1: each worker takes the next test when it is free (slow modules are
# collected first, see tests/conftest.py), so both finish together
test: $(STAMP)
	$(BIN)/pytest -n 2 --maxschedchunk 1 --durations=20 --cov --cov-report=term:skip-covered

## lint: ruff, mypy and the import-linter layer contracts
lint: $(STAMP)
	$(BIN)/ruff check src tests bench tools
	$(BIN)/ruff format --check src tests bench tools
	$(BIN)/mypy
	$(BIN)/lint-imports

bench-quick: $(STAMP)
	$(BIN)/python bench/ingest.py --quick
	$(BIN)/python bench/demo.py --quick
	$(BIN)/pip install --quiet -e '.[dev,bench]'
	$(BIN)/python bench/catchup.py --quick

clean:
	rm -rf $(VENV) $(DEMO_DIR) .pytest_cache .mypy_cache .ruff_cache .coverage

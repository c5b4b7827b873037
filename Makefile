# Two commands on a fresh clone (see README): `make demo` and `make test`.
# Everything else the project needs is installed by these targets into .venv.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp

.PHONY: setup demo test lint bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "custify-sync needs Python 3.11 or newer (set PYTHON=python3.11)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test,dagster]"
	@touch $(STAMP)

setup: $(STAMP)
	@$(BIN)/python scripts/compile-bytecode

demo: setup
	$(BIN)/custify-sync demo

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: setup
	@scripts/ensure-postgres
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/pytest -n 2 --dist loadfile

bench: setup
	$(BIN)/pip install --quiet --disable-pip-version-check -e ".[test,dagster,bench]"
	$(BIN)/python -m bench.run

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache custify.duckdb custify.duckdb.lock .custify-sync

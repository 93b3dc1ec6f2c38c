# Everything a contributor or CI needs, installed from PyPI into a local virtualenv.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONSTRAINTS := constraints/constraints-py3.11.txt
STAMP := $(VENV)/.installed

export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: help install test lint unit demo bench docs clean

help:
	@echo "make demo   - run the CMS -> translate5 -> CMS example DAG against the bundled simulator"
	@echo "make test   - lint, type-check and run the whole test suite"
	@echo "make contract         - the contract suite against TRANSLATE5_CONTRACT_URL, or the bundled simulator"
	@echo "make bench  - run the benchmarks and regenerate docs/performance.md"
	@echo "make docs   - build the documentation site into site/"

# The constraints file is a lock generated from a green install; it keeps installs reproducible.
$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check --upgrade pip
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c $(CONSTRAINTS) -e ".[test,bench,docs]"
	@touch $@

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/python -m pytest

test: lint unit

# The contract suite: against TRANSLATE5_CONTRACT_URL/_TOKEN (e.g. your staging translate5) if set, otherwise
# against the bundled simulator, started on a free 127.0.0.1 port and stopped afterwards. ARGS go to pytest.
.PHONY: contract
contract: $(STAMP)
	$(BIN)/python scripts/contract.py $(ARGS)

demo: $(STAMP)
	$(BIN)/python scripts/demo.py

bench: $(STAMP)
	$(BIN)/python -m bench

docs: $(STAMP)
	$(BIN)/mkdocs build --strict

clean:
	rm -rf $(VENV) .demo .bench site .pytest_cache .mypy_cache .ruff_cache

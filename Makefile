# Everything a contributor or CI needs, installed from PyPI into local virtualenvs.
SHELL := /bin/bash
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
CONSTRAINTS := constraints/constraints-py3.11.txt
STAMP := $(VENV)/.installed
# pip shows what it downloads and installs (a first install takes minutes); PIP_FLAGS=--quiet silences it.
PIP_FLAGS ?= --disable-pip-version-check --progress-bar on

# A distributed Airflow (Celery, PostgreSQL, Redis, S3 via moto) lives in its own virtualenv so that .venv
# stays lean; it also builds and checks the distributions.
AIRFLOW_VERSION := 3.3.2
DEPLOY_VENV ?= .venv-deploy
DEPLOY_BIN := $(DEPLOY_VENV)/bin
DEPLOY_CONSTRAINTS := constraints/deployment-py3.11.txt
DEPLOY_STAMP := $(DEPLOY_VENV)/.installed
BUILD_VENV ?= .venv-build
BUILD_BIN := $(BUILD_VENV)/bin
BUILD_STAMP := $(BUILD_VENV)/.installed
# Providers a typical deployment installs next to this one; `make dist-check` proves they resolve together.
NEIGHBOUR_PROVIDERS := apache-airflow-providers-amazon apache-airflow-providers-google apache-airflow-providers-celery

export AIRFLOW__CORE__LOAD_EXAMPLES := False

.PHONY: help install test lint unit demo bench docs airflow dist dist-check deployment-test clean

help:
	@echo "make airflow          - Airflow UI on 127.0.0.1 with the simulator and the example DAGs (Ctrl-C stops)"
	@echo "make demo             - run the CMS -> translate5 -> CMS example DAG against the bundled simulator"
	@echo "make demo-features    - analyse -> approve, pages -> pre-translate -> batch export, a changed page, vs the simulator"
	@echo "make test             - lint, type-check and run the whole test suite"
	@echo "make contract         - the contract suite against TRANSLATE5_CONTRACT_URL, or the bundled simulator"
	@echo "make bench            - run the benchmarks and regenerate docs/performance.md"
	@echo "make docs             - build the documentation site into site/"
	@echo "make dist             - build sdist and wheel into dist/ and check them with twine"
	@echo "make dist-check       - dist, plus a resolver dry run of the wheel next to the Amazon/Google/Celery providers"
	@echo "make deployment-test  - the examples on Celery (2 workers), PostgreSQL, Redis and S3 (moto), all local"
	@echo "make cms-test         - the REST CMS example against a real Strapi 5 (Node.js, SQLite) and the simulator"
	@echo "make ui-test          - the translate5 view in headless Chromium against a real airflow api-server"

# The constraints file is a lock generated from a green install; it keeps installs reproducible.
$(STAMP): pyproject.toml $(CONSTRAINTS)
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(BIN)/python -m pip install $(PIP_FLAGS) -c $(CONSTRAINTS) -e ".[test,bench,docs]"
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

demo-features: $(STAMP)
	$(BIN)/python scripts/demo_features.py

airflow: $(STAMP)
	$(BIN)/python scripts/airflow_local.py

bench: $(STAMP)
	$(BIN)/python -m bench

docs: $(STAMP)
	$(BIN)/mkdocs build --strict

$(DEPLOY_STAMP): pyproject.toml $(DEPLOY_CONSTRAINTS)
	@test -x $(DEPLOY_BIN)/python || $(PYTHON) -m venv $(DEPLOY_VENV)
	$(DEPLOY_BIN)/python -m pip install $(PIP_FLAGS) --upgrade pip
	$(DEPLOY_BIN)/python -m pip install $(PIP_FLAGS) -c $(DEPLOY_CONSTRAINTS) -r scripts/deployment-requirements.txt
	@touch $@

# Building needs only build and twine (pinned by the deployment lock), not the deployment stack.
$(BUILD_STAMP): $(DEPLOY_CONSTRAINTS)
	@test -x $(BUILD_BIN)/python || $(PYTHON) -m venv $(BUILD_VENV)
	$(BUILD_BIN)/python -m pip install $(PIP_FLAGS) -c $(DEPLOY_CONSTRAINTS) build twine
	@touch $@

dist: $(BUILD_STAMP)
	rm -rf dist
	$(BUILD_BIN)/python -m build --outdir dist .
	$(BUILD_BIN)/twine check --strict dist/*

# What a user's `pip install` sees: the built wheel (not the repository, not our lock) next to other providers.
dist-check: dist
	$(BUILD_BIN)/python -m pip install $(PIP_FLAGS) --dry-run --ignore-installed \
		"apache-airflow==$(AIRFLOW_VERSION)" "$$(ls dist/*.whl)" $(NEIGHBOUR_PROVIDERS)

# The harness runs the example DAGs of the installed wheel, not those of the working tree.
deployment-test: dist-check $(DEPLOY_STAMP)
	$(DEPLOY_BIN)/python -m pip uninstall --disable-pip-version-check --yes airflow-provider-translate5
	$(DEPLOY_BIN)/python -m pip install $(PIP_FLAGS) -c $(DEPLOY_CONSTRAINTS) "$$(ls dist/*.whl)[testing]"
	$(DEPLOY_BIN)/python tests/deployment/harness.py

# A real Strapi 5.54 (tests/cms/strapi, SQLite), installed from its lockfile with npm ci (better-sqlite3
# compiles from source: about a minute) and started and stopped by the tests; ARGS go to pytest. Node.js 20
# or newer is needed: where node is missing, Debian's is installed (CI runs as root). node-gyp gets the
# machine's Node.js headers, where there are any, instead of downloading them.
CMS_DIR := tests/cms/strapi
CMS_STAMP := $(CMS_DIR)/node_modules/.installed
NODE_HEADERS := $(if $(wildcard /usr/include/node/node.h),npm_config_nodedir=/usr)

$(CMS_STAMP): $(CMS_DIR)/package.json $(CMS_DIR)/package-lock.json
	@command -v node >/dev/null && command -v npm >/dev/null || { apt-get update && apt-get install -y nodejs npm; }
	@node -e 'if (+process.versions.node.split(".")[0] < 20) { console.error("Strapi 5 needs Node.js 20 or newer, not " + process.version); process.exit(1) }'
	cd $(CMS_DIR) && $(NODE_HEADERS) npm ci --no-audit --no-fund
	@touch $@

# The translate5 view in a real browser: headless Chromium (Debian's chromium and chromium-driver, installed
# where missing: CI runs as root) logs into a real airflow api-server after one run of the CMS round-trip
# example against the simulator, all on 127.0.0.1; the screenshot goes to docs/img/. ARGS go to pytest.
UI_BROWSER := $(shell command -v chromium >/dev/null && command -v chromedriver >/dev/null && echo found)

.PHONY: ui-test
ui-test: $(STAMP)
ifneq ($(UI_BROWSER),found)
	apt-get update && apt-get install -y chromium chromium-driver
endif
	TRANSLATE5_UI_TEST=1 $(BIN)/python -m pytest tests/ui/test_browser.py $(ARGS)

.PHONY: cms-test
cms-test: $(STAMP) $(CMS_STAMP)
	TRANSLATE5_CMS_TEST=1 $(BIN)/python -m pytest tests/cms $(ARGS)

clean:
	rm -rf $(VENV) $(DEPLOY_VENV) $(BUILD_VENV) dist .demo .bench .deploy .airflow-local site .pytest_cache .mypy_cache .ruff_cache

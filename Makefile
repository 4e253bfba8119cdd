# The project's interface: every workflow step and every documented command is a target here.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON_BOOTSTRAP ?= python3
VENV := .venv
PY := $(VENV)/bin/python
TF := scripts/terraform
ENV ?= dev
ZIP := dist/randfile.zip

.PHONY: help
help: ## List the targets
	@grep -hE '^[a-zA-Z_-]+:.*## ' $(MAKEFILE_LIST) | sort | awk 'BEGIN {FS = ":.*## "}; {printf "  %-14s %s\n", $$1, $$2}'

# --- Python environment ---------------------------------------------------------------------

$(VENV)/.installed: requirements/dev.txt pyproject.toml
	$(PYTHON_BOOTSTRAP) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements/dev.txt
	$(PY) -m pip install --quiet --disable-pip-version-check --no-deps -e .
	touch $@

.PHONY: venv
venv: $(VENV)/.installed ## Create the virtualenv with the pinned tooling

# --- Service (src/randfile) -----------------------------------------------------------------

.PHONY: build
build: $(VENV)/.installed ## Build the reproducible Lambda zip (dist/randfile.zip) and print its size
	$(PY) scripts/build_zip.py --source src --output $(ZIP)

.PHONY: lint-python
lint-python: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m bandit -q -c pyproject.toml -r src tools scripts

.PHONY: test-unit
test-unit: $(VENV)/.installed
	$(PY) -m pytest tests/unit -q

.PHONY: bench
bench: $(VENV)/.installed ## Measure generation throughput and streaming memory (docs/performance.md)
	$(PY) bench/bench_generate.py

# --- Aggregates -----------------------------------------------------------------------------

.PHONY: lint
lint: lint-python ## Static checks: ruff, mypy, bandit, terraform fmt/validate, checkov, workflow linters

.PHONY: test
test: lint ## Everything CI checks
	$(PY) -m pytest -q

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

# scripts/make-venv installs with uv (pip as fallback) from the pinned, hashed requirements.
# The demo's targets need only requirements/demo.txt (boto3, moto), the same pins as dev.txt: a
# first `make demo` installs that much; the checks' targets top the same .venv up with dev.txt.
$(VENV)/.installed-demo: requirements/demo.txt requirements/uv.txt pyproject.toml
	scripts/make-venv $(VENV) requirements/demo.txt --editable
	touch $@

$(VENV)/.installed: requirements/dev.txt requirements/uv.txt pyproject.toml
	scripts/make-venv $(VENV) requirements/dev.txt --editable
	touch $@ $(VENV)/.installed-demo

CHECKOV_VENV := .venv-checkov
export CHECKOV := $(CURDIR)/$(CHECKOV_VENV)/bin/checkov

$(CHECKOV_VENV)/.installed: requirements/checkov.txt requirements/uv.txt
	scripts/make-venv $(CHECKOV_VENV) requirements/checkov.txt
	touch $@

.PHONY: venv
venv: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## Create the virtualenvs with the pinned tooling

# --- Service (src/randfile) -----------------------------------------------------------------

.PHONY: build
build: $(VENV)/.installed-demo ## Build the reproducible Lambda zip (dist/randfile.zip) and print its size
	$(PY) scripts/build_zip.py --source src --output $(ZIP)

.PHONY: lint-python
lint-python: $(VENV)/.installed
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m mypy
	$(PY) -m bandit -q -c pyproject.toml -r src tools scripts

.PHONY: lint-shell
lint-shell: $(VENV)/.installed
	$(VENV)/bin/shellcheck .ci/run scripts/terraform scripts/tf-checks scripts/tf-module-tests \
		scripts/make-venv scripts/lock-requirements

.PHONY: test-unit
test-unit: $(VENV)/.installed ## Unit tests only (seconds, no emulator)
	$(PY) -m pytest tests/unit -q -m "not e2e"

.PHONY: bench
bench: $(VENV)/.installed ## Measure generation throughput and streaming memory (docs/performance.md)
	$(PY) bench/bench_generate.py

# --- Terraform ------------------------------------------------------------------------------

STACK := infra/stack
PLAN := build/plans/$(ENV).tfplan
# One working directory per environment, outside infra/: switching ENV never offers to migrate
# one environment's state into the other's backend.
TF_STACK = TF_DATA_DIR=$(CURDIR)/build/terraform/$(ENV) $(TF) -chdir=$(STACK)

.PHONY: tf-check
tf-check: $(CHECKOV_VENV)/.installed ## Terraform fmt, validate (stack and every module) and checkov over infra/
	CHECKOV="$(CHECKOV)" scripts/tf-checks

.PHONY: plan
plan: build ## Plan the stack for ENV=<env> into build/plans/<env>.tfplan
	@test -f $(STACK)/envs/$(ENV).tfvars || { echo "no $(STACK)/envs/$(ENV).tfvars" >&2; exit 2; }
	mkdir -p $(dir $(PLAN))
	$(TF_STACK) init -input=false -lockfile=readonly -backend-config=envs/$(ENV).s3.tfbackend
	$(TF_STACK) plan -input=false -var-file=envs/$(ENV).tfvars -out=$(CURDIR)/$(PLAN)

.PHONY: apply
apply: ## Apply exactly the plan `make plan ENV=<env>` saved
	@test -f $(PLAN) || { echo "no saved plan $(PLAN): run make plan ENV=$(ENV) first" >&2; exit 2; }
	$(TF_STACK) apply -input=false $(CURDIR)/$(PLAN)

# --- Delivery -------------------------------------------------------------------------------
# Targets the GitHub workflows call (.github/workflows); docs/deploying.md explains the pipeline.

# The plan/comment helpers need only the standard library: the comment job runs without the venv.
CI_PYTHON ?= python3
PLAN_JSON = $(PLAN).json
PLAN_SUMMARY = build/plans/$(ENV).md
STACK_OUTPUTS = build/outputs/$(ENV).json
# Where the deploy workflow downloads the zip built once for all environments.
ZIP_ARTIFACT ?= build/artifact/randfile.zip
BOOTSTRAP := infra/bootstrap
TF_BOOTSTRAP = TF_DATA_DIR=$(CURDIR)/build/terraform/bootstrap $(TF) -chdir=$(BOOTSTRAP)
# actionlint runs shellcheck from PATH; the venv provides both.
WORKFLOW_LINT_PATH = PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

.PHONY: plan-summary
plan-summary: ## Markdown summary of ENV's saved plan (build/plans/<env>.md); no plan reads as failed
	@mkdir -p $(dir $(PLAN))
	if [[ -f $(PLAN) ]]; then $(TF_STACK) show -json $(CURDIR)/$(PLAN) >$(PLAN_JSON); else rm -f $(PLAN_JSON); fi
	$(CI_PYTHON) scripts/ci/tfplan.py summary --env $(ENV) --plan-json $(PLAN_JSON) --output $(PLAN_SUMMARY)

.PHONY: pr-comment
pr-comment: ## Create or update ENV's plan comment on the pull request (in GitHub Actions)
	$(CI_PYTHON) scripts/ci/pr_comment.py --body-file $(PLAN_SUMMARY)

.PHONY: drift
drift: plan ## Drift check of ENV: fails (exit 2) naming every resource that differs from the code
	$(TF_STACK) show -json $(CURDIR)/$(PLAN) >$(PLAN_JSON)
	$(CI_PYTHON) scripts/ci/tfplan.py drift --env $(ENV) --plan-json $(PLAN_JSON)

.PHONY: zip-matches-artifact
zip-matches-artifact: ## Fail unless dist/randfile.zip is byte-identical to the zip built once (ZIP_ARTIFACT)
	cmp $(ZIP) $(ZIP_ARTIFACT)

.PHONY: smoke
smoke: $(VENV)/.installed ## SigV4-signed POST /files to ENV's custom domain; passes on 201
	@mkdir -p $(dir $(STACK_OUTPUTS))
	$(TF_STACK) output -json >$(STACK_OUTPUTS)
	$(PY) scripts/ci/smoke_test.py --outputs $(STACK_OUTPUTS)

.PHONY: lint-workflows
lint-workflows: $(VENV)/.installed $(CHECKOV_VENV)/.installed ## actionlint and zizmor (offline) over .github (workflows, actions)
	$(WORKFLOW_LINT_PATH) actionlint
	$(WORKFLOW_LINT_PATH) zizmor --offline .github
	$(CHECKOV) -d .github --framework github_actions --skip-download --quiet --compact

.PHONY: bootstrap-check
bootstrap-check: $(CHECKOV_VENV)/.installed ## Terraform fmt, validate and checkov of infra/bootstrap
	$(TF) -chdir=$(BOOTSTRAP) fmt -check -diff
	$(TF_BOOTSTRAP) init -input=false -backend=false -lockfile=readonly
	$(TF_BOOTSTRAP) validate
	$(CHECKOV) -d $(BOOTSTRAP) --framework terraform --skip-download --quiet --compact

# --- Local cloud ----------------------------------------------------------------------------

LOCALCLOUD := PYTHONPATH=tools $(PY) -m localcloud
BODY ?= {"size_bytes": 2048, "format": "csv"}

.PHONY: demo
demo: build ## Deploy the stack on a local two-account cloud (moto) and call it once
	$(LOCALCLOUD) demo

.PHONY: invoke
invoke: $(VENV)/.installed-demo ## Call the demo's API again: make invoke BODY='{"size_bytes": 4096, "format": "jsonl"}'
	$(LOCALCLOUD) invoke --body '$(BODY)'

.PHONY: demo-down
demo-down: $(VENV)/.installed-demo ## Destroy the demo stack and stop the local cloud
	$(LOCALCLOUD) down

.PHONY: test-e2e
test-e2e: build $(VENV)/.installed ## End-to-end test on its own local cloud (a few minutes)
	$(PY) -m pytest tests/e2e -m e2e -q

# --- Terraform tests ------------------------------------------------------------------------

.PHONY: tf-test
tf-test: ## terraform test of every module (and its examples) and the stack, offline with mocks
	scripts/tf-module-tests

# --- Aggregates -----------------------------------------------------------------------------

.PHONY: lint
lint: lint-python lint-shell tf-check bootstrap-check lint-workflows ## Static checks: ruff, mypy, bandit, shellcheck, terraform fmt/validate, checkov, actionlint, zizmor

# pytest runs last so its summary closes the output. Two workers: the end-to-end modules (each on
# its own local cloud, kept on one worker by xdist_group) run beside the unit tests.
.PHONY: test
test: lint build tf-test ## Everything CI checks
	$(PY) -m pytest -q -n 2 --dist loadgroup

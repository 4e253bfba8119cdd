# The project's interface: every workflow step and every documented command is a target here.
SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help

PYTHON_BOOTSTRAP ?= python3

# Every Python a target starts keeps its bytecode under build/pycache, never beside the sources,
# and reads it back from there. With PYTHONDONTWRITEBYTECODE set (this machine image sets it), no
# process could keep what it compiled: every pytest worker, moto server and checkov run compiled
# boto3, moto, checkov and pytest's rewritten plugins again (collecting the tests: 14 s -> 5 s of
# CPU; starting checkov: 11 s -> 3.4 s).
export PYTHONPYCACHEPREFIX := $(CURDIR)/build/pycache
unexport PYTHONDONTWRITEBYTECODE
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

# The libraries the zip bundles (requirements/function.txt), installed from their hashed wheels with
# the uv that make-venv brought (pip where it fell back to pip); scripts/build_zip.py packs them
# without the installer's traces. They are the wheels of the functions' platform, not the build
# machine's: Python <python-version> on arm64 (infra/modules/function/main.tf, `architectures`)
# under Amazon Linux 2023, whose glibc 2.34 takes manylinux_2_34 wheels and older
# (https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtimes.html); a pure-Python wheel is the
# same everywhere, a native one (awscrt) is the aarch64 build. tests/repository checks the
# platform against the module.
FUNCTION_DEPS := build/function-deps
UV := build/uv/bin/uv
LAMBDA_PLATFORM := aarch64-manylinux_2_34
LAMBDA_PIP_PLATFORMS := manylinux_2_34_aarch64 manylinux_2_28_aarch64 manylinux2014_aarch64
LAMBDA_PYTHON_VERSION = $(shell cat infra/modules/function/python-version)

$(FUNCTION_DEPS)/.installed: requirements/function.txt infra/modules/function/python-version | $(VENV)/.installed-demo
	rm -rf $(FUNCTION_DEPS)
	$(if $(wildcard $(UV)),$(UV) pip install --python $(PY) --python-platform $(LAMBDA_PLATFORM) --no-build,$(PY) -m pip install --disable-pip-version-check $(addprefix --platform ,$(LAMBDA_PIP_PLATFORMS)) --implementation cp --only-binary :all:) \
	  --python-version $(LAMBDA_PYTHON_VERSION) \
	  --quiet --require-hashes --no-deps --no-compile --target $(FUNCTION_DEPS) -r requirements/function.txt
	touch $@

# The Lambda runtime interface client (awslambdaric, tools/localcloud/requirements/lambda-runtime.txt)
# that the local cloud runs in the function's process, installed for the interpreter it runs the
# deployed runtime on (localcloud.runtime_client): tools/localcloud/build/lambda-runtime/python<version>.
# Only what runs functions on the local cloud needs it; `make build` (and so the pipeline's plan and
# apply jobs) does not.
RUNTIME_CLIENT := tools/localcloud/build/lambda-runtime

$(RUNTIME_CLIENT)/.installed: tools/localcloud/requirements/lambda-runtime.txt infra/modules/function/python-version | $(VENV)/.installed-demo
	$(if $(wildcard $(UV)),UV=$(UV)) PYTHONPATH=tools/localcloud/src $(PY) -m localcloud.runtime_client \
	  "$$(cat infra/modules/function/python-version)" \
	  "$$($(PY) -c 'import sys; print("%d.%d" % sys.version_info[:2])')"
	touch $@

.PHONY: build
build: $(VENV)/.installed-demo $(FUNCTION_DEPS)/.installed ## Build the reproducible Lambda zip (dist/randfile.zip) and print its size
	$(PY) scripts/build_zip.py --source src --dependencies $(FUNCTION_DEPS) --output $(ZIP)

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

# The test tiers, one folder each (tests/conftest.py marks each test by its folder and refuses a
# test outside them); test-e2e, further down, is the fourth.
.PHONY: test-unit
test-unit: $(VENV)/.installed ## Unit tests: pure, no local cloud, no network, no Terraform (seconds)
	$(PY) -m pytest tests/unit tools/localcloud/tests/unit -q

.PHONY: test-functional
test-functional: $(VENV)/.installed $(RUNTIME_CLIENT)/.installed ## Functional tests: moto in-process, local stand-in servers, Terraform without a cloud
	$(PY) -m pytest tests/functional tools/localcloud/tests/functional -q

.PHONY: test-repository
test-repository: $(VENV)/.installed ## Repository tests: the repository's own rules (workflows, locks, tfvars, module docs)
	$(PY) -m pytest tests/repository -q

# The tiers that run the service's code (unit, functional) again on the Lambda runtime's Python, the version infra/modules/function/
# python-version names (Terraform's runtime and the local cloud read it too), found through PATH,
# pyenv or uv by localcloud.interpreters; same pinned, hashed requirements as .venv, made by
# scripts/make-venv (uv).
RUNTIME_VENV := .venv-runtime
RUNTIME_PY := $(RUNTIME_VENV)/bin/python

$(RUNTIME_VENV)/.installed: requirements/dev.txt pyproject.toml infra/modules/function/python-version | $(VENV)/.installed
	rm -rf $(RUNTIME_VENV)
	interpreter="$$(PYTHONPATH=tools/localcloud/src $(PY) -m localcloud.interpreters \
	  "$$(cat infra/modules/function/python-version)")"; \
	  PYTHON_BOOTSTRAP="$$interpreter" scripts/make-venv $(RUNTIME_VENV) requirements/dev.txt --editable
	touch $@

.PHONY: venv-runtime
venv-runtime: $(RUNTIME_VENV)/.installed ## Create .venv-runtime on the Lambda runtime's Python (found through PATH, pyenv or uv)

# Only the function's code needs its runtime's Python. The tests of what runs elsewhere run once,
# on the default Python: scripts/ci and the build's scripts (on the GitHub runner's Python), the
# client (on the caller's), and the tests that drive Terraform or read the local cloud's settings
# (no function code in them; about 15 s of CPU that a second interpreter would only repeat).
RUNTIME_PYTHON_ELSEWHERE := tests/functional/ci_scripts tests/functional/test_client.py \
  tests/functional/test_client_datasets.py tests/unit/test_dataset_report.py \
  tests/unit/test_build_zip.py tests/unit/test_build_zip_dependencies.py \
  tests/unit/test_bench_datasets.py tests/unit/test_module_docs.py tests/unit/test_local_stack.py \
  tests/functional/test_terraform_wrapper.py tests/functional/test_job_variable_messages.py \
  tests/functional/test_verify.py
# The rest of tests/unit and tests/functional: the function's code, run by test-unit-runtime on the
# runtime's Python. `make test` runs them there only, not a second time on the default Python (the
# function runs on the runtime's alone, on Lambda and in the local cloud): about 30 s of CPU.
FUNCTION_CODE_TESTS := $(filter-out $(RUNTIME_PYTHON_ELSEWHERE), \
  $(wildcard tests/unit/test_*.py tests/functional/test_*.py))
.PHONY: test-unit-runtime
test-unit-runtime: $(RUNTIME_VENV)/.installed $(RUNTIME_CLIENT)/.installed ## The service's unit and functional tests on the Lambda runtime's Python (.venv-runtime)
	$(RUNTIME_PY) -c 'import platform; print("unit and functional tests on Python", platform.python_version())'
	$(RUNTIME_PY) -m pytest tests/unit tests/functional -q $(addprefix --ignore=,$(RUNTIME_PYTHON_ELSEWHERE))

.PHONY: bench
bench: $(VENV)/.installed build $(RUNTIME_CLIENT)/.installed ## Measure generation throughput, streaming memory, and a dataset against `randfile create --count` on a local cloud of its own (docs/performance.md)
	$(PY) bench/bench_generate.py
	$(PY) bench/bench_datasets.py

.PHONY: bench-local
bench-local: $(VENV)/.installed ## Measure `randfile create` (20 x 1 MiB, 4 at a time) on the running demo's local cloud (docs/performance.md)
	$(PY) bench/bench_local_create.py

.PHONY: bench-import
bench-import: build ## Measure the handler's import time with and without Powertools (docs/performance.md)
	$(PY) bench/bench_import.py

# --- Terraform ------------------------------------------------------------------------------

STACK := infra/stack
PLAN := build/plans/$(ENV).tfplan
# One working directory per environment, outside infra/: switching ENV never offers to migrate
# one environment's state into the other's backend.
TF_STACK = TF_DATA_DIR=$(CURDIR)/build/terraform/$(ENV) $(TF) -chdir=$(STACK)
TF_INIT = $(TF_STACK) init -input=false -lockfile=readonly -backend-config=envs/$(ENV).s3.tfbackend

.PHONY: tf-check
tf-check: $(CHECKOV_VENV)/.installed ## Terraform fmt, validate (stack and every module) and checkov over infra/
	CHECKOV="$(CHECKOV)" scripts/tf-checks

# The README tables (Requirements, Providers, Modules, Resources, Inputs, Outputs) of infra/stack,
# infra/bootstrap and every module, written from the code between terraform-docs' markers by
# scripts/module_docs.py.
.PHONY: docs
docs: $(VENV)/.installed ## Regenerate the Terraform READMEs' tables from the code
	$(PY) -m scripts.module_docs

# Like `terraform fmt -check`: regenerate, then fail if a README differs from what git has.
.PHONY: docs-check
docs-check: $(VENV)/.installed ## Fail when a Terraform README's tables are stale (regenerates them)
	$(PY) -m scripts.module_docs --check

.PHONY: plan
plan: build ## Plan the stack for ENV=<env> into build/plans/<env>.tfplan
	@test -f $(STACK)/envs/$(ENV).tfvars || { echo "no $(STACK)/envs/$(ENV).tfvars" >&2; exit 2; }
	mkdir -p $(dir $(PLAN))
	$(TF_INIT)
	$(TF_STACK) plan -input=false -var-file=envs/$(ENV).tfvars -out=$(CURDIR)/$(PLAN)

# In a fresh checkout too (the deploy's apply job): init, refuse a zip other than the planned one
# before anything changes, apply the saved plan; a refusal of a stale plan says to re-run.
.PHONY: apply
apply: ## Apply exactly the plan `make plan ENV=<env>` saved (or `make plan-fetch` fetched)
	@test -f $(PLAN) || { echo "no saved plan $(PLAN): run make plan ENV=$(ENV) first" >&2; exit 2; }
	$(TF_INIT)
	$(TF_STACK) show -json $(CURDIR)/$(PLAN) >$(PLAN_JSON)
	$(CI_PYTHON) -m scripts.ci.tfplan zip --env $(ENV) --plan-json $(PLAN_JSON) --stack-dir $(STACK)
	$(TF_STACK) apply -input=false $(CURDIR)/$(PLAN) 2>&1 | tee $(PLAN).apply.log \
	  || $(CI_PYTHON) -m scripts.ci.tfplan apply-failed --env $(ENV) --log $(PLAN).apply.log

# The function's log group is read from ENV's state; `aws logs tail` (AWS CLI v2) follows it with
# the operator's own credentials. FOLLOW=0 prints the last SINCE and stops.
SINCE ?= 10m
FOLLOW ?= 1

.PHONY: logs
logs: ## Tail the function's log of ENV in AWS (AWS CLI v2): make logs ENV=<env> [SINCE=1h] [FOLLOW=0]
	$(TF_INIT) >/dev/null
	group="$$($(TF_STACK) output -raw function_log_group_name)"; \
	  aws logs tail "$$group" --since $(SINCE) --format short $(if $(filter 1,$(FOLLOW)),--follow)

# LOCK_ID is read from the environment (make exports command-line variables), never pasted into
# the recipe: in .github/workflows/unlock.yml it is what a person typed into a dispatch form.
.PHONY: unlock
unlock: ## Release ENV's state lock left by a killed apply: make unlock ENV=<env> LOCK_ID=<id>
	@[[ "$${LOCK_ID:-}" =~ ^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$$ ]] || { echo "LOCK_ID=<lock id, a UUID> is required (make lock-report ENV=$(ENV) names it)" >&2; exit 2; }
	$(TF_INIT)
	$(TF_STACK) force-unlock -force "$$LOCK_ID"

# --- Delivery -------------------------------------------------------------------------------
# Targets the GitHub workflows call (.github/workflows); docs/deploying.md explains the pipeline.

# The plan/comment helpers need only the standard library: the comment job runs without the venv.
CI_PYTHON ?= python3
PLAN_JSON = $(PLAN).json
PLAN_TEXT = $(PLAN).txt
PLAN_SUMMARY = build/plans/$(ENV).md
DRIFT_SUMMARY = build/plans/$(ENV).drift.md
# The commit a deploy job deploys (its checkout), and the branch whose head alone is deployed.
DEPLOY_COMMIT ?= $(shell git rev-parse HEAD 2>/dev/null)
RELEASE_BRANCH ?= main
# The commit the plan summary names (the pull request's head in ci.yml, which checks out a merge).
PLAN_COMMIT ?= $(DEPLOY_COMMIT)
# Whether ENV's GitHub environment must have required reviewers admins cannot bypass (prod).
REQUIRE_REVIEWERS ?= true
# The saved plan's key in the state bucket: one per workflow run attempt.
PLAN_RUN ?= $(if $(GITHUB_RUN_ID),$(GITHUB_RUN_ID)-$(GITHUB_RUN_ATTEMPT))
# How long the smoke test retries a deployment that is still settling (DNS, 403, 5xx).
SMOKE_MAX_SECONDS ?= 300
# Seconds `make lock-report` waits for the lock to be released before reporting who holds it.
LOCK_WAIT ?= 0
STATE_BUCKET = $(PY) -m scripts.ci.state_bucket --env $(ENV) --backend-config $(STACK)/envs/$(ENV).s3.tfbackend
STACK_OUTPUTS = build/outputs/$(ENV).json
# Where the deploy workflow downloads the zip built once for all environments.
ZIP_ARTIFACT ?= build/artifact/randfile.zip
BOOTSTRAP := infra/bootstrap
TF_BOOTSTRAP = TF_DATA_DIR=$(CURDIR)/build/terraform/bootstrap $(TF) -chdir=$(BOOTSTRAP)
# actionlint runs shellcheck from PATH; the venv provides both.
WORKFLOW_LINT_PATH = PATH="$(CURDIR)/$(VENV)/bin:$$PATH"

.PHONY: plan-summary
plan-summary: ## Summary and full plan (sensitive values masked) of ENV's saved plan: build/plans/<env>.md and the job summary
	@mkdir -p $(dir $(PLAN))
	if [[ -f $(PLAN) ]]; then \
	  $(TF_STACK) show -json $(CURDIR)/$(PLAN) >$(PLAN_JSON); \
	  $(TF_STACK) show -no-color $(CURDIR)/$(PLAN) >$(PLAN_TEXT); \
	else rm -f $(PLAN_JSON) $(PLAN_TEXT); fi
	$(CI_PYTHON) -m scripts.ci.tfplan summary --env $(ENV) --plan-json $(PLAN_JSON) \
	  --plan-text $(PLAN_TEXT) --commit "$(PLAN_COMMIT)" --output $(PLAN_SUMMARY)

.PHONY: plan-store
plan-store: $(VENV)/.installed ## Store ENV's saved plan in the state bucket for the apply job (key and sha256 as step outputs)
	@test -n "$(PLAN_RUN)" || { echo "PLAN_RUN=<run id> is required outside GitHub Actions" >&2; exit 2; }
	$(STATE_BUCKET) store --plan $(PLAN) --run "$(PLAN_RUN)"

.PHONY: plan-fetch
plan-fetch: $(VENV)/.installed ## Fetch version PLAN_VERSION of the stored plan PLAN_KEY into build/plans/<env>.tfplan, refused unless its sha256 is PLAN_SHA256
	$(STATE_BUCKET) fetch --plan $(PLAN) --key "$(PLAN_KEY)" --version "$(PLAN_VERSION)" --sha256 "$(PLAN_SHA256)"

.PHONY: plan-discard
plan-discard: $(VENV)/.installed ## Delete the stored plan PLAN_KEY once applied (it holds the state's sensitive values)
	$(STATE_BUCKET) discard --key "$(PLAN_KEY)"

.PHONY: lock-report
lock-report: $(VENV)/.installed ## Who holds ENV's state lock and the command that releases it (waits LOCK_WAIT seconds first)
	$(STATE_BUCKET) lock --wait $(LOCK_WAIT)

.PHONY: lock-release-own
lock-release-own: $(VENV)/.installed ## Release ENV's state lock if this machine's cancelled apply left it (no other run's)
	lock_id="$$($(STATE_BUCKET) own-lock)"; \
	if [[ -n "$$lock_id" ]]; then $(MAKE) --no-print-directory unlock LOCK_ID="$$lock_id"; \
	else echo "no lock of this machine on the state of $(ENV)"; fi

.PHONY: environment-gate
environment-gate: ## Refuse unless ENV's GitHub environment has a branch policy (and REQUIRE_REVIEWERS: reviewers admins cannot bypass)
	$(CI_PYTHON) -m scripts.ci.environment_gate --environment $(ENV) --branch $(RELEASE_BRANCH) \
	  --require-reviewers $(REQUIRE_REVIEWERS)

.PHONY: release-order
release-order: ## Refuse to deploy DEPLOY_COMMIT unless it is RELEASE_BRANCH's head (or, dispatched by hand, in its history)
	$(CI_PYTHON) -m scripts.ci.release_order --env $(ENV) --commit "$(DEPLOY_COMMIT)" --branch $(RELEASE_BRANCH)

.PHONY: pr-comment
pr-comment: ## Create or update ENV's plan comment on the pull request (in GitHub Actions)
	$(CI_PYTHON) -m scripts.ci.pr_comment --body-file $(PLAN_SUMMARY)

.PHONY: pr-comment-stale
pr-comment-stale: ## Mark this workflow's plan comments on the pull request outdated (in GitHub Actions)
	$(CI_PYTHON) -m scripts.ci.pr_comment --mark-stale

.PHONY: drift
drift: plan ## Drift check of ENV: fails (exit 2) naming every resource that differs from the code
	$(TF_STACK) show -json $(CURDIR)/$(PLAN) >$(PLAN_JSON)
	$(CI_PYTHON) -m scripts.ci.tfplan drift --env $(ENV) --plan-json $(PLAN_JSON) --output $(DRIFT_SUMMARY)

.PHONY: drift-issue
drift-issue: ## Open, update or close ENV's drift issue from the drift summary (in GitHub Actions)
	$(CI_PYTHON) -m scripts.ci.drift_issue --env $(ENV) --summary $(DRIFT_SUMMARY)

.PHONY: zip-matches-artifact
zip-matches-artifact: ## Fail unless dist/randfile.zip is byte-identical to the zip built once (ZIP_ARTIFACT)
	cmp $(ZIP) $(ZIP_ARTIFACT)

.PHONY: smoke
smoke: $(VENV)/.installed ## SigV4-signed POST /files to ENV's custom domain; passes on 201
	@mkdir -p $(dir $(STACK_OUTPUTS))
	$(TF_INIT) >/dev/null
	$(TF_STACK) output -json >$(STACK_OUTPUTS)
	$(PY) -m scripts.ci.smoke_test --outputs $(STACK_OUTPUTS) --max-seconds $(SMOKE_MAX_SECONDS)

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

# The local cloud (tools/localcloud, a package of its own) and randfile's shell around it
# (tools/randfile_localcloud: accounts, stack settings, the demo).
LOCALCLOUD := PYTHONPATH=src:tools/localcloud/src:tools $(PY) -m randfile_localcloud
BODY ?= {"size_bytes": 2048, "format": "csv"}

.PHONY: demo
demo: build $(RUNTIME_CLIENT)/.installed ## Deploy the stack on a local two-account cloud (moto) and call it once
	$(LOCALCLOUD) demo

.PHONY: invoke
invoke: $(VENV)/.installed-demo ## Call the demo's API again: make invoke BODY='{"size_bytes": 4096, "format": "jsonl"}'
	$(LOCALCLOUD) invoke --body '$(BODY)'

.PHONY: demo-down
demo-down: $(VENV)/.installed-demo ## Destroy the demo stack and stop the local cloud
	$(LOCALCLOUD) down

.PHONY: test-e2e
test-e2e: build $(VENV)/.installed $(RUNTIME_CLIENT)/.installed ## End-to-end test on its own local cloud (a few minutes)
	$(PY) -m pytest tests/e2e tools/localcloud/tests/e2e -q

# --- Terraform tests ------------------------------------------------------------------------

.PHONY: tf-test
tf-test: ## terraform test of every module (and its examples) and the stack, offline with mocks
	scripts/tf-module-tests

# --- Aggregates -----------------------------------------------------------------------------

.PHONY: lint
lint: lint-python lint-shell tf-check docs-check bootstrap-check lint-workflows ## Static checks: ruff, mypy, bandit, shellcheck, terraform fmt/validate, checkov, README tables, actionlint, zizmor

# The end-to-end groups (each on its own local cloud, kept on one worker by xdist_group) spend most
# of their time in the AWS provider's fixed waits (S3 lifecycle 55 s, SQS 27 s, Route 53 10-30 s,
# its minimum on AWS too), not on the CPU, so there is a worker for each (PYTEST_WORKERS: ten
# groups; with fewer, xdist's loadgroup gives the groups left over to a worker whose own group is
# down to its last two tests, behind them) and one group's waits leave the CPU to the others. The
# static checks, `terraform test` and the runtime-Python tests use those idle cores too: they run
# beside pytest (four at a time, each one's output kept together in build/static-checks.log,
# printed once pytest ends), instead of before it, and at a lower priority (nice), since the
# longest end-to-end groups, not they, should decide when the suite ends. The longest go first:
# `terraform test` (about a minute of CPU, two folders at a time), then the runtime-Python tests
# (about a minute of wall time); whichever of them started behind lint's six checks ended a
# fresh-clone run alone, 40 to 50 s after pytest, on one core (figures in docs/performance.md).
# They start a minute after pytest (STATIC_CHECKS_DELAY,
# seconds), leaving that minute to the end-to-end groups, which all start their emulators and first
# Terraform applies in it: two fresh-clone runs had a deploy fail there on a create the emulator
# had already done (AlreadyExists, EntityAlreadyExists; the cause is not found, load is the first
# suspect). The slowest tests are listed so the suite's time can be watched; the last line repeats
# pytest's own summary so that it closes the output.
PYTEST_WORKERS ?= 10
STATIC_CHECKS_DELAY ?= 60
# The workers and the groups' local clouds start at once and import the same modules: in a fresh
# checkout (an empty build/pycache) each of them compiled all of them itself. One collection first
# compiles them once: 8 s of CPU, after which each worker collects in 3 s instead of 8 and each
# local cloud starts in 0.6 s instead of 2 (docs/performance.md). It takes one core; the runtime's
# Python compiles what test-unit-runtime imports on the other meanwhile.
PYCACHE_WARM := build/pycache/.collected
# Only a warm-up: a test that does not collect is reported by the run that follows.
$(PYCACHE_WARM): | $(VENV)/.installed $(RUNTIME_VENV)/.installed
	$(RUNTIME_PY) -m pytest --collect-only -q tests/unit tests/functional \
	  $(addprefix --ignore=,$(RUNTIME_PYTHON_ELSEWHERE)) >/dev/null 2>&1 & \
	$(PY) -m pytest --collect-only -q >/dev/null 2>&1 || true; wait; touch $@
STATIC_CHECKS_LOG := build/static-checks.log
PYTEST_LOG := build/pytest.log
.PHONY: test
test: build $(RUNTIME_CLIENT)/.installed $(PYCACHE_WARM) ## Everything CI checks
	set +e; \
	{ sleep $(STATIC_CHECKS_DELAY); nice -n 10 $(MAKE) --no-print-directory -j4 --output-sync=target \
	  tf-test test-unit-runtime lint; } >$(STATIC_CHECKS_LOG) 2>&1 & checks_pid=$$!; \
	$(PY) -m pytest -q -n $(PYTEST_WORKERS) --dist loadgroup --durations=15 \
	  $(addprefix --ignore=,$(FUNCTION_CODE_TESTS)) 2>&1 | tee $(PYTEST_LOG); \
	tests=$${PIPESTATUS[0]}; \
	wait $$checks_pid; checks=$$?; \
	echo "== lint, terraform test and the runtime-Python tests ($(STATIC_CHECKS_LOG)): exit $$checks =="; \
	cat $(STATIC_CHECKS_LOG); \
	echo "== pytest: exit $$tests =="; \
	tail -n 1 $(PYTEST_LOG); \
	exit $$(( tests != 0 ? tests : checks ))

# --- Release --------------------------------------------------------------------------------
# Targets of .github/workflows/release.yml, run on a pushed tag vX.Y.Z (docs/releasing.md): the
# client's wheel and sdist, the Lambda zip and their SHA256SUMS in build/release/assets, attested
# and attached to the tag's GitHub release; the wheel and sdist alone (build/release/python) are
# what PyPI gets.
TAG ?=
RELEASE_DIR := build/release
RELEASE_ASSETS := $(RELEASE_DIR)/assets
RELEASE_PYTHON := $(RELEASE_DIR)/python
# The wheel's file dates (setuptools' bdist_wheel reads SOURCE_DATE_EPOCH): the tagged commit's
# time, so building a tag again gives the same wheel; 1980-01-01, the earliest a zip can hold,
# outside a git checkout.
RELEASE_EPOCH ?= $(shell git log -1 --format=%ct 2>/dev/null || echo 315532800)

.PHONY: release-notes
release-notes: ## Refuse TAG=vX.Y.Z unless pyproject's version and a CHANGELOG.md section name it; write its notes
	$(CI_PYTHON) -m scripts.ci.release_notes --tag "$(TAG)" --output $(RELEASE_DIR)/notes.md

# The wheel and sdist are built with the setuptools of requirements/dev.txt (pinned, hashed), not
# one a build frontend would fetch unpinned into an isolated environment.
.PHONY: release-dist
release-dist: build $(VENV)/.installed ## Wheel, sdist, Lambda zip and SHA256SUMS of the release in build/release/assets
	@test -x $(UV) || { echo "release-dist builds with uv ($(UV)): run make venv with PyPI reachable" >&2; exit 2; }
	rm -rf $(RELEASE_ASSETS) $(RELEASE_PYTHON)
	mkdir -p $(RELEASE_ASSETS)
	SOURCE_DATE_EPOCH=$(RELEASE_EPOCH) $(UV) build --quiet --no-build-isolation --python $(PY) \
	  --sdist --wheel --out-dir $(RELEASE_PYTHON)
	rm -f $(RELEASE_PYTHON)/.gitignore # uv's, not a distribution: PyPI's upload takes every file
	version="$$($(PY) -c 'import tomllib; print(tomllib.load(open("pyproject.toml", "rb"))["project"]["version"])')"; \
	  cp $(RELEASE_PYTHON)/*.whl $(RELEASE_PYTHON)/*.tar.gz $(RELEASE_ASSETS)/; \
	  cp $(ZIP) "$(RELEASE_ASSETS)/randfile-lambda-$$version.zip"
	cd $(RELEASE_ASSETS) && sha256sum -- *.whl *.tar.gz *.zip >SHA256SUMS
	cat $(RELEASE_ASSETS)/SHA256SUMS

.PHONY: release-github
release-github: ## Create TAG's GitHub release: notes and build/release/assets attached, then published (in GitHub Actions)
	$(CI_PYTHON) -m scripts.ci.github_release --tag "$(TAG)" --notes $(RELEASE_DIR)/notes.md \
	  --assets $(RELEASE_ASSETS)

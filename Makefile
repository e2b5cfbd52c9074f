# The two commands: `make run` and `make test`. Both create or refresh the venvs they need.
SHELL := /bin/bash
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PYTEST_ARGS ?=

.PHONY: run test bench lint venv clean

$(STAMP): pyproject.toml requirements/kcl-test.txt
	@test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/pip install -q --disable-pip-version-check --upgrade pip
	$(BIN)/pip install -q --disable-pip-version-check -e '.[dev]'
	$(BIN)/pip install -q --disable-pip-version-check --no-deps --require-hashes -r requirements/kcl-test.txt
	@touch $@

venv: $(STAMP)

run: $(STAMP)
	$(BIN)/tslake run $(RUN_ARGS)

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python -m bench $(BENCH_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src services tests bench
	$(BIN)/ruff format --check src services tests bench
	$(BIN)/mypy src services

clean:
	rm -rf $(VENV) .venv-* .tslake .pytest_cache

# Heavy tool venvs (PyFlink, Airflow, CDK, Helm, ...) live in their own fragments; each appends its
# stamp file to TOOL_VENVS so that `make test` builds it first.
TOOL_VENVS :=
-include mk/*.mk
test: $(TOOL_VENVS)

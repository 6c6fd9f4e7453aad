# Two commands on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
export HF_HUB_OFFLINE := 1
export TOKENIZERS_PARALLELISM := false

.PHONY: run test install install-dev lint typecheck unit bench eval teams-package clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(VENV)/.installed $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

## make run: set up, index the bundled samples/ and open a terminal chat (no keys needed)
run: install
	$(BIN)/helpdesk sync
	$(BIN)/helpdesk chat

## make test: set up with the dev tools, then ruff, mypy --strict and pytest
test: install-dev
	bash tools/ensure_postgres.sh || echo "PostgreSQL unavailable: its tests will be skipped"
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -p no:cacheprovider

lint: install-dev
	$(BIN)/ruff check . && $(BIN)/ruff format --check .

typecheck: install-dev
	$(BIN)/mypy

## make bench: the benchmarks, printed figures and ratios measured in one run
bench: install-dev
	$(BIN)/python -m bench

## make eval: retrieval quality on EVAL_DATA (../shared/eval/samsung-emanual-qa); without
## it, says where that data set comes from and scores the small set in bench/eval-samples
EVAL_DATA ?= ../shared/eval/samsung-emanual-qa
eval: install
	$(BIN)/helpdesk eval $(EVAL_DATA) --fallback bench/eval-samples

teams-package: install
	$(BIN)/python tools/teams_package.py

clean:
	rm -rf data .mypy_cache .ruff_cache .pytest_cache

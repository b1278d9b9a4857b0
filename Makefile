# The two commands of the README. A fresh machine needs only Python >= 3.11 and git.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean-data

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

## Run the API on :8000 and a worker; embedded PostgreSQL/Redis unless the URLs are set.
run: $(STAMP)
	$(BIN)/campaignops dev

## The whole suite against real PostgreSQL and Redis, then ruff and mypy.
test: $(STAMP)
	$(BIN)/python -m pytest
	$(MAKE) lint

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy .

clean-data:
	rm -rf .data

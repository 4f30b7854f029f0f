# The two commands the README promises: `make up` and `make test`. Both work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= ./farmstead-data
HOST ?= 127.0.0.1
PORT ?= 8245
WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: install up test bench clean coverage

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The server, $(WORKERS) local workers and a ready farm (docs/up.md); Ctrl-C stops them all.
up: install
	$(BIN)/farmstead up --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR) --workers $(WORKERS)

# The whole suite on the embedded store, then the API suite again on PostgreSQL when one answers.
test: install
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; [ $$rc -eq 0 ] || exit $$rc
	@if reason=$$($(BIN)/python tests/support/databases.py); then \
		FARMSTEAD_TEST_STORE=postgresql $(BIN)/python -m pytest -n 2 tests/api $(PYTEST_ARGS); \
	else echo "PostgreSQL tests not run: $$reason"; fi

coverage: install
	$(BIN)/farmstead coverage

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache

# Benchmarks of a real server on loopback, a few minutes in all (docs/benchmarks.md); not part of `make test`.
bench: install
	$(BIN)/python -m bench all

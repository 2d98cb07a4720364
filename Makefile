# `make run`  - install the runtime dependencies into .venv and serve the gateway
#               on 127.0.0.1:$PORT (default 8000).
# `make test` - install the test dependencies (Python into .venv, newman into
#               tests/conformance/node_modules), then run the whole pytest suite on
#               SQLite and on a throwaway PostgreSQL (scripts/run-tests).
# `make lint` - ruff.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
CONFORMANCE := tests/conformance

.PHONY: run test install install-dev node-deps lint

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

# Stamp files keep the installs idempotent and quick when nothing changed.
$(VENV)/.requirements.stamp: requirements.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.requirements-dev.stamp: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $@ $(VENV)/.requirements.stamp

$(CONFORMANCE)/node_modules/.npm-ci.stamp: $(CONFORMANCE)/package.json $(CONFORMANCE)/package-lock.json
	cd $(CONFORMANCE) && npm ci --no-audit --no-fund --loglevel=error
	touch $@

install: $(VENV)/.requirements.stamp

install-dev: $(VENV)/.requirements-dev.stamp

node-deps: $(CONFORMANCE)/node_modules/.npm-ci.stamp

run: install
	exec $(BIN)/gunicorn app:app -b 127.0.0.1:$${PORT:-8000}

test: install-dev node-deps
	bash scripts/run-tests

lint: install-dev
	$(BIN)/ruff check .

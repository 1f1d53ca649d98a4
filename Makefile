# The two commands: `make demo` runs fleet, `make test` runs every check.
# Each sets up its own virtual environment on first use (Python 3.11+ needed),
# installing exactly the versions in requirements.lock (`make lock` refreshes it).
# `make check` is the fast tier for the edit loop: lint, types, and every test that
# needs no broker, pty, subprocess or wall time (under a minute on two cores).

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
LOCK   := requirements.lock
ARGS   ?=

.PHONY: demo test check lint typecheck unit fast brokers bench lock clean

$(STAMP): pyproject.toml $(LOCK)
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "fleet needs Python 3.11 or newer; found " + sys.version.split()[0] + " (set PYTHON=python3.12 etc.)")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet -c $(LOCK) --upgrade pip
	$(BIN)/python -m pip install --quiet -c $(LOCK) -e '.[dev]'
	@touch $@

demo: $(STAMP)
	$(BIN)/fleet demo $(ARGS)

test: lint typecheck brokers unit

check: lint typecheck fast

lint: $(STAMP)
	$(BIN)/ruff check .

typecheck: $(STAMP)
	$(BIN)/mypy

# The whole suite: the tests that need no broker, pty or wall time on every core,
# then the integration tests one at a time (they measure wall time and run brokers).
unit: $(STAMP)
	$(BIN)/pytest -m "not integration" -n auto --dist loadscope $(ARGS)
	$(BIN)/pytest -m integration --durations=15 $(ARGS)

fast: $(STAMP)
	$(BIN)/pytest -m "not integration" -n auto --dist loadscope $(ARGS)

# The MQTT tests need Mosquitto. As root (CI, a container) it is installed here;
# anyone else is told the one command, and the test summary counts what was skipped.
brokers: $(STAMP)
	@if ! $(BIN)/python -c 'import sys; from drivers.mqtt.broker import mosquitto_path; sys.exit(mosquitto_path() is None)'; then \
	  if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	    echo "make test: installing mosquitto for the MQTT tests"; \
	    apt-get update -q && apt-get install -y -q mosquitto; \
	  else \
	    echo "make test: mosquitto is not installed, so the MQTT tests will be skipped; install it with: sudo apt-get install mosquitto"; \
	  fi; \
	fi

bench: $(STAMP)
	$(BIN)/fleet bench routes $(ARGS)

# Resolve every dependency afresh in a throw-away environment and pin what it got.
# Bump a dependency: edit its range in pyproject.toml (if needed), run `make lock`,
# then `make test`, and commit pyproject.toml and requirements.lock together.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/python -m pip install --quiet --upgrade pip
	.lock-venv/bin/python -m pip install --quiet '.[dev]'
	{ echo "# Exact versions make installs (pip -c). Made by 'make lock' with $$(.lock-venv/bin/python --version) on $$(uname -m); do not edit."; \
	  .lock-venv/bin/python -m pip freeze --all --exclude fleet --exclude setuptools --exclude wheel; } > $(LOCK)
	rm -rf .lock-venv build
	@echo "$(LOCK): $$(grep -c '==' $(LOCK)) packages pinned"

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache *.egg-info .lock-venv

# Two commands on a fresh machine:
#   make demo   - create .venv, install, run the demo pipeline on examples/ -> runs/demo
#   make test   - create .venv, install with test tools, run ruff and the test suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint install clean

$(STAMP): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/curate run pipelines/demo.toml
	$(BIN)/curate stats runs/demo

lint: $(STAMP)
	$(BIN)/ruff check curate tests benchmarks
	$(BIN)/ruff format --check curate tests benchmarks

test: $(STAMP) lint
	$(BIN)/pytest

clean:
	rm -rf runs .pytest_cache .ruff_cache

# The two set-up commands of the README: `make demo` and `make test` (each installs what it needs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench clean

setup: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

demo: setup
	$(BIN)/tcw demo

lint: setup
	$(BIN)/ruff check .

test: setup lint
	$(BIN)/pytest --doctest-modules loaders workbench tests

bench: setup
	$(BIN)/python benchmarks/ingest_bench.py

clean:
	rm -rf $(VENV) tcw-demo tcw-workspace .bench

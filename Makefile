# The two set-up commands of the README: `make demo` and `make test` (each installs what it needs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo test lint bench bench-screens clean neo4j

# Rust (cargo) builds the loaders' compiled fast path; rustup puts it in ~/.cargo/bin
export PATH := $(HOME)/.cargo/bin:$(PATH)
NATIVE_SOURCES := $(wildcard native/src/*.rs) native/Cargo.toml native/Cargo.lock native/pyproject.toml

setup: $(VENV)/.installed $(VENV)/.native

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test,spark]'
	touch $@

# Without cargo the loaders still work (all records go through the SQL path), only slower.
$(VENV)/.native: $(VENV)/.installed $(NATIVE_SOURCES)
	@if command -v cargo >/dev/null; then \
		$(BIN)/pip install --quiet ./native && touch $@; \
	else echo "cargo not found: the compiled loader fast path is not built (install Rust to build it)"; fi

demo: setup
	$(BIN)/tcw demo

lint: setup
	$(BIN)/ruff check .

test: setup lint
	@if command -v cargo >/dev/null; then cd native && PYO3_PYTHON=$(abspath $(BIN)/python) cargo test --release --quiet; fi
	$(BIN)/python scripts/neo4j-local start
	status=0; $(BIN)/pytest --doctest-modules loaders workbench tests || status=$$?; \
		$(BIN)/python scripts/neo4j-local stop; exit $$status

# The jars of the local Neo4j test server, from Maven Central into .neo4j/lib (only when missing).
neo4j:
	$(PYTHON) scripts/neo4j-local fetch

bench: setup
	$(BIN)/python benchmarks/ingest_bench.py

bench-screens: setup
	$(BIN)/python benchmarks/screen_bench.py

clean:
	rm -rf $(VENV) tcw-demo tcw-workspace .bench native/target

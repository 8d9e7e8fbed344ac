# The two set-up commands of the README: `make demo` and `make test` (each installs what it needs).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: setup demo lab test lint bench bench-screens bench-graph clean neo4j browser

# Rust (cargo) builds the loaders' compiled fast path; rustup puts it in ~/.cargo/bin
export PATH := $(HOME)/.cargo/bin:$(PATH)
NATIVE_SOURCES := $(wildcard native/src/*.rs) native/Cargo.toml native/Cargo.lock native/pyproject.toml

setup: $(VENV)/.installed $(VENV)/.native browser

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

# Debian's chromium (the report's browser test drives it) and a Chinese font (the report's CJK labels), each
# only when missing: apt-get as root, else through sudo; without either, a message says what to install.
BROWSER_PACKAGES_HINT = apt-get install -y --no-install-recommends chromium fontconfig fonts-noto-cjk
browser:
	@need=""; command -v chromium >/dev/null 2>&1 || need="chromium"; \
	command -v fc-list >/dev/null 2>&1 || need="$$need fontconfig"; \
	fc-list :lang=zh 2>/dev/null | grep -q . || need="$$need fonts-noto-cjk"; \
	if [ -z "$$need" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then sudo=""; elif command -v sudo >/dev/null 2>&1; then sudo="sudo"; else sudo="none"; fi; \
	if [ "$$sudo" = none ] || ! command -v apt-get >/dev/null 2>&1; then \
		echo "缺少 missing:$$need（报告的浏览器测试需要 needed by the report's browser test）: $(BROWSER_PACKAGES_HINT)"; \
		exit 0; fi; \
	echo "安装 installing Debian packages:$$need"; \
	$$sudo apt-get update -qq && \
	$$sudo env DEBIAN_FRONTEND=noninteractive NEEDRESTART_SUSPEND=1 apt-get install -y -qq --no-install-recommends \
		$$need >/dev/null

demo: setup
	$(BIN)/tcw demo

# JupyterLab, offline, on the demo's workspace (made by `make demo` first when missing); prints its address.
lab: setup
	@test -d tcw-demo/workspace/events || $(MAKE) demo
	$(BIN)/tcw lab --workspace tcw-demo/workspace

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

# Graph writes and queries on ≥ 1 M events, on a Neo4j server of its own (.bench/neo4j, port 7688).
bench-graph: setup
	$(BIN)/python benchmarks/graph_bench.py

clean:
	rm -rf $(VENV) tcw-demo tcw-workspace .bench native/target

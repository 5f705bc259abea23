# One command per job. `make test` is what CI runs (see .ci/run).
PY ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: test test-deps lint format demo bench docs clean

$(STAMP): pyproject.toml
	$(PY) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -e '.[test]'
	touch $(STAMP)

# System programs some tests drive for real (redis-server, Debian's chromium). Each script installs
# what is missing when it can and never fails: without them those tests skip and say why.
test-deps:
	@bash scripts/install-test-deps.sh
	@bash scripts/install-browser.sh

test: $(STAMP) test-deps
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy
	$(BIN)/pytest --cov=tumbler --cov-report=term:skip-covered $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff format src tests
	$(BIN)/ruff check --fix src tests

# The example blog on the development server. Its SQLite database and secret key are created in
# examples/blog/instance/ on first run. DEMO_HOST/DEMO_PORT pick another address.
DEMO_HOST ?= 127.0.0.1
DEMO_PORT ?= 5000

demo: $(STAMP)
	@echo "Example blog: http://$(DEMO_HOST):$(DEMO_PORT)/ (CTRL+C stops it)"
	cd examples/blog && $(abspath $(BIN))/tumbler --app blog run --host $(DEMO_HOST) --port $(DEMO_PORT)

# The documentation site, built with MkDocs into build/docs; --strict turns every warning
# (broken link, missing page, docstring the API reference cannot parse) into a failure.
# The tools come from the `docs` extra; `make test` does not need them.
DOCS_STAMP := $(VENV)/.docs-installed

$(DOCS_STAMP): pyproject.toml $(STAMP)
	$(BIN)/pip install -q -e '.[test,docs]'
	touch $(DOCS_STAMP)

docs: $(DOCS_STAMP)
	$(BIN)/mkdocs build --strict

# Benchmarks against the peers (Flask, Bottle, Falcon, Starlette), installed only in bench/.venv,
# never as Tumbler's dependencies. `make bench BENCH_ARGS=--quick` for a smoke run. The server
# runs need wrk (apt-get install wrk) and are skipped without it.
BENCH_VENV := bench/.venv
BENCH_BIN := $(BENCH_VENV)/bin
BENCH_STAMP := $(BENCH_VENV)/.installed

$(BENCH_STAMP): pyproject.toml bench/requirements.txt
	$(PY) -m venv $(BENCH_VENV)
	$(BENCH_BIN)/pip install -q --upgrade pip
	$(BENCH_BIN)/pip install -q -r bench/requirements.txt -e .
	touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	cd bench && .venv/bin/python inprocess.py $(BENCH_ARGS)
	cd bench && .venv/bin/python routing.py $(BENCH_ARGS)
	cd bench && .venv/bin/python importtime.py $(BENCH_ARGS)
	cd bench && .venv/bin/python server.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .coverage

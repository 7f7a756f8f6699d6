# The two commands of the README: `make run` and `make test`. Both bootstrap everything they need
# (virtual environment, front-end assets) and are safe to run again.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
VENDOR := src/northstar/web/static/vendor
PY_STAMP := $(VENV)/.installed
JS_STAMP := node_modules/.installed
ASSETS_STAMP := $(VENDOR)/.built
HOST ?= 127.0.0.1
PORT ?= 8000

.PHONY: run test install assets lint typecheck pytest messages bench bench-metrics bench-dashboards clean

run: $(PY_STAMP) $(ASSETS_STAMP)
	$(BIN)/northstar db upgrade
	$(BIN)/northstar demo load --skip-if-loaded
	@echo "Northstar is starting at http://$(HOST):$(PORT)  (Ctrl+C stops it)"
	$(BIN)/northstar serve --host $(HOST) --port $(PORT)

test: $(PY_STAMP) $(ASSETS_STAMP) lint typecheck pytest

install: $(PY_STAMP)
assets: $(ASSETS_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(JS_STAMP): package.json package-lock.json
	npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
	touch $@

# Third-party files are copied from node_modules at set-up time and never committed.
$(ASSETS_STAMP): $(JS_STAMP)
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js \
	   node_modules/echarts/dist/echarts.min.js \
	   node_modules/bootstrap/dist/css/bootstrap.min.css \
	   node_modules/bootstrap/dist/js/bootstrap.bundle.min.js \
	   node_modules/swagger-ui-dist/swagger-ui-bundle.js \
	   node_modules/swagger-ui-dist/swagger-ui.css \
	   $(VENDOR)/
	touch $@

lint: $(PY_STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: $(PY_STAMP)
	$(BIN)/mypy

# two workers, the machine's two cores (the demo company is loaded once per test session, in a
# process of its own started when the tests are collected, and copied into each test's database)
PYTEST_ARGS ?= -n 2
pytest: $(PY_STAMP) $(ASSETS_STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# Both benchmarks; each prints its times and ratios and fails when it misses a target.
bench: bench-dashboards bench-metrics

# The metrics engine against hand-written DuckDB SQL and pandas on 10 million synthetic events
# (several minutes); also fails when the three disagree.
bench-metrics: $(PY_STAMP)
	$(BIN)/python bench/metrics_bench.py

# Server time of each dashboard on the demo company (SQLite), against the home page (a minute).
bench-dashboards: $(PY_STAMP)
	$(BIN)/python bench/dashboards_bench.py

# Re-extract the catalogue after changing user-facing text, then translate the new zh_CN entries.
messages: $(PY_STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k N_ --no-location --sort-output -o messages.pot src
	$(BIN)/pybabel update -i messages.pot -d src/northstar/web/translations -l zh_CN --no-fuzzy-matching
	$(BIN)/pybabel update -i messages.pot -d src/northstar/web/translations -l en --no-fuzzy-matching
	rm messages.pot

clean:
	rm -rf $(VENV) node_modules $(VENDOR) .pytest_cache .mypy_cache .ruff_cache

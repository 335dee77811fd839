# flowscope — every target sets itself up on a fresh machine (idempotent, quick when done).
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST_ARGS ?=

.PHONY: setup debs run test lint bench clean

$(STAMP): pyproject.toml
	@test -x $(PY) || $(PYTHON) -m venv $(VENV)
	@echo "installing Python dependencies into $(VENV) (first run takes about a minute)"
	@$(PY) -m pip install -q --disable-pip-version-check -e '.[dev]' 2>&1 | grep -v '^WARNING: Location' || true
	@$(PY) -c "import chdb, clickhouse_connect, fastapi, opentelemetry.sdk" || (echo "dependency install failed" >&2; exit 1)
	@rm -f $(VENV)/.installed-*; touch $(STAMP)

setup: $(STAMP)

run: setup
	$(VENV)/bin/flowscope demo

# Peers the alert tests run for real: promtool (package prometheus) and Alertmanager; headless
# Chromium and its driver for the dashboards' browser tests.
debs:
	@command -v promtool >/dev/null && command -v prometheus-alertmanager >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends prometheus prometheus-alertmanager)
	@command -v chromedriver >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends chromium chromium-driver)

test: setup debs
	$(PY) -m pytest $(PYTEST_ARGS)

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

bench: setup
	$(PY) -m bench

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache

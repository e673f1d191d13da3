# The two commands of the README: `make run` (server with demo data) and `make test` (the whole suite).
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV ?= .venv
PY := $(VENV)/bin/python
MANAGE := $(PY) school/manage.py

.PHONY: run test test-pipeline test-school lint install check-deploy bench-ingest bench-rollup bench-scale bench-memory

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

run: install
	$(MANAGE) migrate --noinput
	$(MANAGE) collectstatic --noinput -v0
	$(MANAGE) seed_demo
	$(MANAGE) rollup_stats --dirty
	./scripts/serve

# The pipeline's own suite (minimal settings, no school), then the platform's, then the import rules, then
# Django's deployment checklist under production settings.
test: install
	$(PY) -m pytest tests --ds=tests.settings
	$(PY) -m pytest school --ds=school.config.settings
	$(VENV)/bin/lint-imports
	VENV=$(VENV) ./scripts/check_deploy

# `manage.py check --deploy` with DEBUG off, a public host and a throwaway secret key: any warning fails.
check-deploy: install
	VENV=$(VENV) ./scripts/check_deploy

# Ingest benchmark on PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/learning_events_bench).
bench-ingest: install
	$(PY) bench/ingest.py

# Rollup benchmark on PostgreSQL (DATABASE_URL, default postgres://postgres@127.0.0.1:5432/learning_events_bench_rollup).
bench-rollup: install
	$(PY) bench/rollup.py

# Scale benchmark on PostgreSQL: a day's ingest, rollup and export with an empty store vs 20,000,000 events of
# history, and a purge of two months (DATABASE_URL names the server and the databases' prefix, default
# postgres://postgres@127.0.0.1:5432/learning_events_bench_scale: two databases, _empty and _history).
bench-scale: install
	$(PY) bench/scale.py

# Memory model against baselines on held-out later reviews (time-ordered split): simulated learners and the demo
# school, each in a fresh SQLite database of its own (a temporary directory); a few minutes. Exits non-zero
# when the model misses its targets on either data set (docs/memory.md).
bench-memory: install
	$(PY) bench/memory.py

# cumulus — the commands a newcomer needs. Everything installs from the lock file into .venv.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
UV_VERSION := 0.13.8

export CUMULUS_HOME ?= $(CURDIR)/.cumulus
export DAGSTER_HOME ?= $(CUMULUS_HOME)/dagster
export DO_NOT_TRACK := 1
export DAGSTER_DISABLE_TELEMETRY := 1
export NO_GCE_CHECK := true
export PYTHONPATH := $(CURDIR)
export PATH := $(CURDIR)/$(VENV)/bin:$(PATH)

DEMO_START ?= 2026-11-02
DEMO_DAYS ?= 14
DEMO_ORDERS_PER_DAY ?= 400
SEED ?= 7

.PHONY: install dbt-lock manifest demo test dev lint instance clean backfill bench browser-deps superset superset-install superset-lock

# The virtual environment, rebuilt when the lock changes. uv itself is pinned in the lock's dev group.
# --compile-bytecode: where PYTHONDONTWRITEBYTECODE=1 is set (as on this machine kind) Python never caches .pyc,
# so every Python process (each Dagster run and step worker, each dbt call) compiled ~2,000 modules from
# source: importing definitions.py took 17 s of CPU, 8 s with the bytecode compiled once here (~35 s CPU).
$(VENV)/.installed: pyproject.toml uv.lock
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check uv==$(UV_VERSION)
	$(VENV)/bin/uv sync --frozen --compile-bytecode --python $(PY)
	touch $@

# dbt in its own virtual environment, from its own lock file (dbt/requirements.lock): Dagster runs dbt only as
# a subprocess, and importing dbt-core made every Dagster process 1.7-2.3 s slower to load the definitions.
# The project finds it at $(DBT_VENV)/bin/dbt (resources/dbt.py).
DBT_VENV := .dbt-venv
$(DBT_VENV)/.installed: dbt/requirements.lock | $(VENV)/.installed
	$(PYTHON) -m venv $(DBT_VENV)
	$(VENV)/bin/uv pip sync --compile-bytecode --python $(DBT_VENV)/bin/python dbt/requirements.lock
	touch $@

install: $(VENV)/.installed $(DBT_VENV)/.installed

# After editing dbt/requirements.in: re-resolve dbt's lock (then commit both files).
dbt-lock: $(VENV)/.installed
	cd dbt && ../$(VENV)/bin/uv pip compile requirements.in --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -o requirements.lock

# Superset in its own virtual environment (its pins conflict with Dagster's), from its own lock file;
# rebuilt when the lock changes. About 15 s and 730 MB with a warm uv cache.
SUPERSET_VENV := .superset-venv
SUPERSET_PORT ?= 8088
$(SUPERSET_VENV)/.installed: superset/requirements.lock | $(VENV)/.installed
	$(PYTHON) -m venv $(SUPERSET_VENV)
	$(VENV)/bin/uv pip sync --python $(SUPERSET_VENV)/bin/python superset/requirements.lock
	touch $@

superset-install: $(SUPERSET_VENV)/.installed

# After editing superset/requirements.in: re-resolve the Superset lock (then commit both files).
superset-lock: install
	cd superset && ../$(VENV)/bin/uv pip compile requirements.in --python-version 3.11 \
		--python-platform x86_64-manylinux_2_28 -o requirements.lock

# dagster-dbt reads each dbt project's manifest (dbt/<project>/target/manifest.json) when the definitions
# load, so it must exist first. One dbt project per warehouse: dbt/kpi/ (DuckDB | Snowflake), more to come. `dbt parse` directly: dagster-dbt's `project prepare-and-package` would do the same, but it also
# tries to import dbt-core into the Dagster environment, which does not have it.
DBT_PROJECTS := $(patsubst %/dbt_project.yml,%,$(wildcard dbt/*/dbt_project.yml))
manifest: install
	@for project in $(DBT_PROJECTS); do \
		echo "dbt parse $$project"; \
		$(DBT_VENV)/bin/dbt parse --project-dir $$project --profiles-dir $$project --quiet || exit 1; \
	done

# The Dagster instance of `make demo` and `make dev`: telemetry off, one warehouse writer at a time.
instance:
	@mkdir -p $(DAGSTER_HOME)
	@cmp -s deploy/dagster.yaml $(DAGSTER_HOME)/dagster.yaml || cp deploy/dagster.yaml $(DAGSTER_HOME)/dagster.yaml

demo: manifest instance
	$(PY) -m cli.demo --start $(DEMO_START) --days $(DEMO_DAYS) --orders-per-day $(DEMO_ORDERS_PER_DAY) --seed $(SEED)

test: manifest browser-deps superset-install
	$(PY) -m pytest

# Debian's Chromium for the browser tests (tests/browser drive it with Playwright; never Playwright's own
# browser download). Installed when missing and this user can: root, or passwordless sudo, with apt-get
# (~30 s for ~130 packages); otherwise the browser tests fail with a message naming the package.
DEBIAN_CHROMIUM := /usr/bin/chromium
export CUMULUS_CHROMIUM ?= $(DEBIAN_CHROMIUM)
browser-deps:
	@if [ -x "$(CUMULUS_CHROMIUM)" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then as_root=; elif sudo -n true 2>/dev/null; then as_root="sudo -n"; else as_root=no; fi; \
	if [ "$(CUMULUS_CHROMIUM)" = "$(DEBIAN_CHROMIUM)" ] && [ "$$as_root" != no ] && command -v apt-get >/dev/null; then \
		echo "browser-deps: installing Debian's chromium for the browser tests (apt-get)"; \
		{ $$as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq \
			&& $$as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; } \
			|| echo "browser-deps: WARNING: apt-get could not install chromium; the browser tests will fail"; \
	else \
		echo "browser-deps: WARNING: no Chromium at $(CUMULUS_CHROMIUM), and make installs it only at $(DEBIAN_CHROMIUM) as root" \
			"or with sudo, through apt-get: the browser tests will fail; install Debian's package: apt-get install -y chromium"; \
	fi

# The local Superset on 127.0.0.1:$(SUPERSET_PORT), metadata in $(CUMULUS_HOME)/superset (README, section Superset).
superset: superset-install
	$(PY) -m cli.superset --port $(SUPERSET_PORT)

# The Dagster UI on 127.0.0.1:$(DAGSTER_PORT); stop it with Ctrl-C (from a script: README, section The commands).
DAGSTER_PORT ?= 3000
dev: manifest instance
	$(VENV)/bin/dagster dev -h 127.0.0.1 -p $(DAGSTER_PORT) -w workspace.yaml

lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

clean:
	rm -rf $(CUMULUS_HOME) dbt/*/target dbt/*/logs

# An analyst's backfill from the command line (the UI's "Materialize" dialog does the same per asset).
backfill: manifest instance
	@test -n "$(FROM)" -a -n "$(TO)" || { echo "usage: make backfill FROM=YYYY-MM-DD TO=YYYY-MM-DD"; exit 2; }
	$(PY) -m cli.backfill --from $(FROM) --to $(TO)

# Benchmarks at scale (minutes; not part of `make test`): writes docs/BENCHMARKS.md.
# One figure alone: make bench BENCH_FIGURES=sensor_tick (the other sections of the report are kept).
BENCH_FIGURES ?= raw_load,backfill,location_load,sensor_tick,file_to_kpi
BENCH_SCALES ?= 1000000,5000000,20000000
BENCH_DAYS ?= 30,90
BENCH_ORDERS_PER_DAY ?= 1000
BENCH_MODELS ?= 100,500,1000
BENCH_OBJECTS ?= 1000,10000,100000
BENCH_REPEATS ?= 3
bench: manifest
	$(PY) -m bench --figures $(BENCH_FIGURES) --scales $(BENCH_SCALES) --days $(BENCH_DAYS) \
		--orders-per-day $(BENCH_ORDERS_PER_DAY) --models $(BENCH_MODELS) \
		--objects $(BENCH_OBJECTS) --repeats $(BENCH_REPEATS)

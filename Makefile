# Baoxiu: `make run` serves the demo, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python

.PHONY: run test lint lock bench bench-instructions bench-db bench-sla bench-report backup restore messages clean graph

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(VENV)/.runtime: requirements.lock | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements.lock
	touch $@

$(VENV)/.test: requirements-test.lock | $(VENV)/bin/python
	$(PY) -m pip install -q -r requirements-test.lock
	touch $@ $(VENV)/.runtime

run: $(VENV)/.runtime
	bin/run-dev

lint: $(VENV)/.test
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .

test: $(VENV)/.test lint
	bin/ensure-browser
	$(PY) manage.py makemigrations --check --dry-run --settings=config.settings.test
	DJANGO_ALLOW_ASYNC_UNSAFE=true $(PY) -m pytest --create-db $(PYTEST_ARGS)

lock: | $(VENV)/bin/python
	bin/lock

messages: $(VENV)/.runtime
	$(PY) manage.py makemessages -l zh_Hans -l en --ignore=.venv --ignore=var
	$(PY) manage.py compilemessages --ignore=.venv

graph: $(VENV)/.runtime
	$(PY) manage.py graph_transitions tickets.Ticket > docs/ticket_lifecycle.dot
	$(PY) manage.py graph_transitions -o docs/ticket_lifecycle.svg tickets.Ticket

# Benchmarks on throw-away PostgreSQL databases (their names must contain "bench"; see bench/RESULTS.md).
# make bench: the scale benchmark of issue #10 — re-creates BENCH_DB (and BENCH_DB_small), seeds
# BENCH_TICKETS tickets (about 10 minutes at 1,000,000), measures every hot path, prints one table.
# Quick run: make bench BENCH_TICKETS=20000. More options: make bench BENCH_ARGS="--help".
BENCH_DB ?= postgres://postgres@127.0.0.1:5432/baoxiu_scale_bench
BENCH_TICKETS ?= 1000000
BENCH_ARGS ?=
bench: $(VENV)/.runtime
	bench/ensure-wrk
	@# The bench re-creates BENCH_DB, but connects to it first: create it on a machine that never ran it.
	psql "$(BENCH_DB)" -c "select 1" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres $(notdir $(BENCH_DB))
	DATABASE_URL=$(BENCH_DB) DJANGO_SETTINGS_MODULE=bench.settings $(PY) -m bench.scale --tickets $(BENCH_TICKETS) $(BENCH_ARGS)

# The instructions each page costs the web process (valgrind), on the database `make bench` seeded.
bench-instructions: $(VENV)/.runtime
	DATABASE_URL=$(BENCH_DB) DJANGO_SETTINGS_MODULE=bench.settings $(PY) -m bench.page_instructions

# The two focused benchmarks (one database, created when missing).
BENCH_FOCUSED_DB ?= postgres://postgres@127.0.0.1:5432/baoxiu_bench
BENCH_CLOCKS ?= 100000
BENCH_REPORT_TICKETS ?= 50000
bench-db:
	-psql "$(BENCH_FOCUSED_DB)" -c "select 1" >/dev/null 2>&1 || createdb -h 127.0.0.1 -U postgres $(notdir $(BENCH_FOCUSED_DB))

bench-sla: $(VENV)/.runtime bench-db
	DATABASE_URL=$(BENCH_FOCUSED_DB) DJANGO_SETTINGS_MODULE=config.settings.test $(PY) bench/sla_sweep.py --clocks $(BENCH_CLOCKS)

bench-report: $(VENV)/.runtime bench-db
	DATABASE_URL=$(BENCH_FOCUSED_DB) DJANGO_SETTINGS_MODULE=config.settings.test $(PY) bench/report_dashboard.py --tickets $(BENCH_REPORT_TICKETS) --no-pdf

backup: $(VENV)/.runtime
	$(PY) manage.py backup $(DIR)

restore: $(VENV)/.runtime
	@test -n "$(DIR)" || (echo "usage: make restore DIR=backups/<timestamp>" && exit 2)
	$(PY) manage.py restore $(DIR)

clean:
	rm -rf $(VENV) var db.sqlite3

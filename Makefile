# The two commands: `make run` and `make test`. Everything else is here to serve them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=
export FLASK_APP := wsgi

.PHONY: run serve test lint seed migrate db-start db-stop bench clean demo-reset translations

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Encore needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

## run: set up, migrate, seed the demo co-op once, serve on 127.0.0.1:$(PORT) with a queue worker.
## Without ENCORE_DATABASE_URL the embedded PostgreSQL (instance/postgres) is started first,
## shared by every process below, and stopped when this command ends (Ctrl-C or SIGTERM).
run: export ENCORE_DEV_MAIL_PAGE ?= true
run: export ENCORE_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.installed-run
	$(BIN)/python -m app.core.embedded_db run -- $(MAKE) --no-print-directory serve

# The processes of `make run`, inside the database's lifetime. Both servers run in the
# background so a signal to this shell reaches them (a foreground child would hold the trap).
serve: $(VENV)/.installed-run
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed
	@echo "Encore is at http://127.0.0.1:$(PORT)/"
	@echo "Mail (sign-up links, password resets) is not sent in development: read it at http://127.0.0.1:$(PORT)/dev/mail"
	@echo "  (the queue worker also logs each message to this console)"
	rm -rf instance/prometheus && mkdir -p instance/prometheus
	export PROMETHEUS_MULTIPROC_DIR=$$PWD/instance/prometheus; \
	$(BIN)/flask queue worker & worker=$$!; \
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 wsgi:app & web=$$!; \
	trap 'kill $$web $$worker 2>/dev/null' INT TERM; \
	wait $$web; kill $$worker 2>/dev/null; wait

## demo-reset: erase the development co-op (database and media) and seed it again; stop `make run` first
demo-reset: $(VENV)/.installed-run
	$(BIN)/python -m app.core.embedded_db run -- $(BIN)/flask demo reset --yes

## bench: the benchmarks (figures go in BENCHMARKS.md)
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/transcode_bench.py

## translations: extract the marked messages into each domain's French catalog and compile it
## (DOMAIN=accounts for one; `python -m app.core.catalogs check` lists what is missing). See docs/TRANSLATING.md
translations: $(VENV)/.installed-run
	$(BIN)/python -m app.core.catalogs update $(DOMAIN)

## lint: ruff (lint), mypy (strict on ledger/ and audio/), the import contracts; settings in pyproject.toml
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports

## test: lint, then run the whole suite (pytest's exit status, 5 "no tests" included, is ours)
test: lint
	$(BIN)/pytest $(PYTEST_ARGS)

migrate: $(VENV)/.installed-run
	$(BIN)/python -m app.core.embedded_db run -- $(BIN)/flask db upgrade

## db-start / db-stop: keep the embedded PostgreSQL up between commands (for `flask shell` etc.)
db-start: $(VENV)/.installed-run
	$(BIN)/python -m app.core.embedded_db start
db-stop: $(VENV)/.installed-run
	$(BIN)/python -m app.core.embedded_db stop

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

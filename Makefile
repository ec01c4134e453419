# The two commands: `make run` and `make test`. Everything else is here to serve them.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
PYTEST_ARGS ?=
export FLASK_APP := wsgi

.PHONY: run test seed migrate bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Encore needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed-run: requirements.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@ $(VENV)/.installed-run

## run: set up, migrate, seed the demo co-op once, serve on 127.0.0.1:$(PORT) with a queue worker
run: export ENCORE_DEV_MAIL_PAGE ?= true
run: export ENCORE_BASE_URL ?= http://127.0.0.1:$(PORT)
run: $(VENV)/.installed-run
	$(BIN)/flask db upgrade
	$(BIN)/flask demo seed
	@echo "Encore is at http://127.0.0.1:$(PORT)/"
	@echo "Mail (sign-up links, password resets) is not sent in development: read it at http://127.0.0.1:$(PORT)/dev/mail"
	@echo "  (the queue worker also logs each message to this console)"
	$(BIN)/flask queue worker & worker=$$!; trap 'kill $$worker 2>/dev/null; wait $$worker' EXIT INT TERM; \
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 --access-logfile - wsgi:app

## bench: the benchmarks (figures go in BENCHMARKS.md)
bench: $(VENV)/.installed-dev
	$(BIN)/python bench/transcode_bench.py

## test: set up and run the whole suite (pytest's exit status, 5 "no tests" included, is ours)
test: $(VENV)/.installed-dev
	$(BIN)/pytest $(PYTEST_ARGS)

migrate: $(VENV)/.installed-run
	$(BIN)/flask db upgrade

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis

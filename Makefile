# Two commands do it all on a fresh clone: `make run` (the demo) and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
STAMP := $(VENV)/.installed-$(shell sha1sum requirements.txt | cut -c1-12)

.PHONY: install run test test-postgres lint worker bench clean

$(STAMP): requirements.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.txt
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

## Serve the demo community on http://127.0.0.1:5000 (SQLite, tasks in-process).
run: install
	$(FLASK) db upgrade
	$(FLASK) seed-demo --if-empty
	$(BIN)/gunicorn --workers 2 --bind 127.0.0.1:5000 --access-logfile - wsgi:app

## Run the test suite on SQLite (set TEST_DATABASE_URL / CELERY_BROKER_URL for PostgreSQL / a real worker).
test: install
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

## A Celery worker for production-style runs (needs CELERY_BROKER_URL): every queue, and the periodic jobs.
worker: install
	$(BIN)/celery -A wsgi.celery_app worker --beat -Q celery,webhooks --loglevel=INFO

bench: install
	$(BIN)/python -m bench

clean:
	rm -rf $(VENV) instance/peerloop.db*

# The two commands: `make run` serves the site, `make test` runs the whole suite.
# Both create .venv and install what they need on the first run.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Test processes; each gets its own PostgreSQL and Redis database (tests/conftest.py).
TEST_WORKERS ?= 2
export FLASK_APP := wsgi

.PHONY: run test lint install eval-scraper bench vendor-turbo clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstalls only when a requirements file changes.
$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

run: install
	$(BIN)/flask db upgrade
	$(BIN)/flask piglist demo --if-empty
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

test: install
	./scripts/test-services.sh
	$(BIN)/pytest -n $(TEST_WORKERS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

eval-scraper: install
	$(BIN)/python -m piglist.scraper.evaluate

bench: install
	$(BIN)/python bench/bench_extract.py

TURBO_VERSION ?= 8.0.23
vendor-turbo:
	cd /tmp && npm pack --silent @hotwired/turbo@$(TURBO_VERSION) && tar xzf hotwired-turbo-$(TURBO_VERSION).tgz
	cp /tmp/package/dist/turbo.es2017-esm.js static/vendor/turbo/
	sed -i 's/^@hotwired\/turbo [0-9.]*/@hotwired\/turbo $(TURBO_VERSION)/; s/@hotwired\/turbo@[0-9.]*/@hotwired\/turbo@$(TURBO_VERSION)/' static/vendor/turbo/VERSION

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache

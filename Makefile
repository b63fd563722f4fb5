# The two commands: `make run` serves the site, `make test` runs the whole suite.
# Both create .venv and install what they need on the first run.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
# Test processes; each gets its own PostgreSQL and Redis database (tests/conftest.py). Three on two
# cores: the browser tests' worker mostly waits on the site and the browser, and a third fills it
# (README, Architecture: 5 min 43–46 s against two's 6 min 19 s – 6 min 53 s, for the same CPU).
TEST_WORKERS ?= 3
# COVERAGE=1 measures coverage of piglist/ and fails under pyproject's floor (CI does; it costs the
# suite about half again its CPU, so a developer's make test leaves it out).
COVERAGE ?=
export FLASK_APP := wsgi
# Links in mails (the reset link `make run` prints) point here; never at a request's Host.
export PUBLIC_URL ?= http://127.0.0.1:$(PORT)

.PHONY: run static-digest test test-e2e e2e-deps lint lock install api-docs eval-scraper bench bench-live bench-web vendor-turbo vendor-axe clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstalls only when the lock file changes. Every package is pinned with its hashes there, so
# pip installs exactly what was locked or refuses.
$(VENV)/.installed: requirements-dev.lock | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements-dev.lock
	touch $@

install: $(VENV)/.installed

# requirements*.txt name what Piglist uses; `make lock` pins everything they bring, with hashes.
# The hashes come from the package index alone, not from a machine's local wheel cache.
LOCK := PIP_CONFIG_FILE=/dev/null PIP_FIND_LINKS= $(BIN)/pip-compile --quiet --generate-hashes --allow-unsafe \
	--no-emit-find-links --no-emit-index-url --strip-extras
lock: | $(BIN)/python
	$(BIN)/pip install --quiet pip-tools==7.7.0
	$(LOCK) --output-file=requirements.lock requirements.txt
	$(LOCK) --output-file=requirements-dev.lock requirements-dev.txt

# The static files' fingerprinted, precompressed copies (piglist/web/assets.py), made anew.
static-digest: install
	$(BIN)/python -c "from piglist.web.assets import build_static_files; build_static_files()"

run: install static-digest
	$(BIN)/flask db upgrade
	$(BIN)/flask piglist demo --if-empty
	@echo "Piglist is starting: open http://127.0.0.1:$(PORT)/ in your browser (Ctrl-C stops it)."
	$(BIN)/flask run --host 127.0.0.1 --port $(PORT)

# Tests on the Procfile site (the browser tests among them) share one site and one browser: --dist loadgroup keeps them on one worker.
test: install e2e-deps
	./scripts/test-services.sh
	$(BIN)/pytest -n $(TEST_WORKERS) --dist loadgroup $(if $(COVERAGE),--cov --cov-report=term)

test-e2e: install e2e-deps
	./scripts/test-services.sh
	$(BIN)/pytest tests/e2e

e2e-deps:
	./scripts/e2e-deps.sh

# Style, the layer contracts (import-linter) and the types (mypy over piglist/): pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports
	$(BIN)/mypy

# docs/api.md, the API reference, from piglist/api/openapi.yaml (a test fails when it is stale).
api-docs: install
	$(BIN)/python scripts/api_reference.py

eval-scraper: install
	$(BIN)/python -m piglist.scraper.evaluate

bench: install
	$(BIN)/python bench/bench_extract.py

# Sockets, fan-out and long polls against the Procfile's gunicorn (needs PostgreSQL and Redis, like make test).
bench-live: install
	$(BIN)/python bench/bench_live.py

# The site under load beside a hand-written floor (bench/web.py); wrk is Debian's package.
bench-web: install
	@command -v wrk >/dev/null || apt-get install -y wrk || sudo apt-get install -y wrk
	$(BIN)/python bench/web.py

TURBO_VERSION ?= 8.0.23
TERSER_VERSION ?= 5.51.4
vendor-turbo:
	cd /tmp && npm pack --silent @hotwired/turbo@$(TURBO_VERSION) && tar xzf hotwired-turbo-$(TURBO_VERSION).tgz
	cp /tmp/package/dist/turbo.es2017-esm.js static/vendor/turbo/
	# What the pages load: the same module minified (issue 27: 37 KB of brotli before, 22 KB after).
	cd /tmp && npx --yes terser@$(TERSER_VERSION) /tmp/package/dist/turbo.es2017-esm.js --module --compress --mangle \
		--comments '/^!|Copyright|license/i' -o $(CURDIR)/static/vendor/turbo/turbo.es2017-esm.min.js
	sed -i 's/^@hotwired\/turbo [0-9.]*/@hotwired\/turbo $(TURBO_VERSION)/; s/@hotwired\/turbo@[0-9.]*/@hotwired\/turbo@$(TURBO_VERSION)/' static/vendor/turbo/VERSION

AXE_VERSION ?= 4.14.1
vendor-axe:
	cd /tmp && npm pack --silent axe-core@$(AXE_VERSION) && tar xzf axe-core-$(AXE_VERSION).tgz
	cp /tmp/package/axe.min.js /tmp/package/LICENSE /tmp/package/LICENSE-3RD-PARTY.txt tests/e2e/vendor/axe-core/
	sed -i 's/^axe-core [0-9.]*/axe-core $(AXE_VERSION)/; s/axe-core@[0-9.]*/axe-core@$(AXE_VERSION)/' tests/e2e/vendor/axe-core/VERSION

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache build

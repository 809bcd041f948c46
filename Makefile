# fieldapp: two commands.  `make run` serves the demo;  `make test` runs every test.
# Each target sets up what it needs on a fresh machine; re-running is cheap.

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app fieldapp
HSDS_VALIDATOR := .venv-hsds-validator

.PHONY: run test setup setup-test chromium translations extract-messages bench lint clean screenshots

run: setup
	$(FLASK) init-db
	$(FLASK) demo
	@$(FLASK) demo-logins
	@echo "fieldapp is starting on http://127.0.0.1:$(PORT)"
	MALLOC_ARENA_MAX=2 $(BIN)/gunicorn --no-control-socket --workers 2 --threads 4 \
	    --bind 127.0.0.1:$(PORT) --access-logfile - "fieldapp:create_app()"

# Two pytest processes (pytest-xdist), then the tests marked serial (gunicorn under load) alone.
test: setup-test chromium
	$(BIN)/ruff check fieldapp tests bench
	$(BIN)/lint-imports --no-cache
	$(BIN)/pytest -n 2 --dist worksteal -m "not serial"
	$(BIN)/pytest -m serial

setup: $(VENV)/.installed static/vendor/.copied translations

setup-test: setup $(VENV)/.installed-test $(HSDS_VALIDATOR)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/pip install --quiet -e '.[test]'
	touch $@

# hsds-validator (PyPI: Open Referral's pydantic models of HSDS 3.1), which
# tests/test_hsds_profile.py runs as a program on the API's core view.  Its own venv: its pins
# (pydantic, dydantic, click) must never move the test venv's.  --ignore-requires-python: it
# declares Requires-Python >=3.13, yet its code needs nothing newer than 3.11 (it installs and
# validates the official examples on 3.11; the test shows it passing and failing).
$(HSDS_VALIDATOR)/.installed:
	test -x $(HSDS_VALIDATOR)/bin/python || $(PYTHON) -m venv $(HSDS_VALIDATOR)
	$(HSDS_VALIDATOR)/bin/pip install --quiet --ignore-requires-python hsds-validator==0.1.2
	touch $@

node_modules/.package-lock.json: package.json package-lock.json
	npm ci --no-audit --no-fund

# Front-end packages are copied from node_modules, never fetched from a CDN.
static/vendor/.copied: node_modules/.package-lock.json
	mkdir -p static/vendor
	cp node_modules/htmx.org/dist/htmx.min.js static/vendor/htmx.min.js
	cp node_modules/axe-core/axe.min.js static/vendor/axe.min.js
	sed '/^\/\/# sourceMappingURL=/d' node_modules/minisearch/dist/umd/index.js > static/vendor/minisearch.js
	cp node_modules/minisearch/LICENSE.txt static/vendor/minisearch-LICENSE.txt
	touch $@

# Compiles every catalogue; French typography (no-break spaces, curly apostrophes) is applied
# here, by a rule: fieldapp/i18n_tools.py typeset().
translations: $(VENV)/.installed
	$(BIN)/python -m fieldapp.i18n_tools compile

# Refresh every catalogue from the code (run after adding strings, then translate the new ones).
extract-messages: $(VENV)/.installed
	$(BIN)/python -m fieldapp.i18n_tools extract

chromium:
	@command -v chromium >/dev/null 2>&1 || { \
	  if [ "$$(id -u)" = 0 ]; then apt-get update && apt-get install -y chromium; \
	  else echo "Chromium is missing: run 'sudo apt-get install -y chromium' (Debian) and retry."; exit 1; fi; }

bench: setup-test
	$(BIN)/python bench/run_all.py

# The README's phone screenshots (static/img/readme/), taken from the demo app in Chromium.
screenshots: setup-test chromium
	$(BIN)/python bench/screenshots.py

lint: setup-test
	$(BIN)/ruff check fieldapp tests bench
	$(BIN)/lint-imports --no-cache

clean:
	rm -rf $(VENV) node_modules static/vendor

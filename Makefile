# Two commands on a fresh machine: `make demo` and `make test`.
# Each sets up what it needs on first use (virtualenv, Python packages, the
# pinned npm toolchain) and skips that work when the stamps are newer than
# the files that describe it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.sandan-installed
NODE_STAMP := node_modules/.sandan-installed
VERIFIER_STAMP := verifier/node_modules/.sandan-installed
ORACLES_STAMP := tests/oracles/node_modules/.sandan-installed
PYTEST_ARGS ?=

.PHONY: demo test setup lint typecheck compile browser clean verifier

setup: $(PY_STAMP) $(NODE_STAMP) $(VERIFIER_STAMP) $(ORACLES_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

# The browser verifier's own pinned libraries and esbuild. Only the rebuild test needs them:
# the built bundle is committed (api/web/static/verifier/verifier.js), so the service does not.
$(VERIFIER_STAMP): verifier/package.json verifier/package-lock.json
	npm ci --prefix verifier --no-audit --no-fund --loglevel=error
	touch $@

# Independent event hash implementations (npm epcis2.js), test oracles only.
$(ORACLES_STAMP): tests/oracles/package.json tests/oracles/package-lock.json
	npm ci --prefix tests/oracles --no-audit --no-fund --loglevel=error
	touch $@

# Rebuild the committed verifier bundle after changing verifier/src.
verifier: $(VERIFIER_STAMP)
	node verifier/build.mjs

demo: setup
	$(BIN)/sandan demo

# The API suite also runs on PostgreSQL: the server named by SANDAN_TEST_POSTGRES_URL,
# else the local one when it answers (each test process gets a private schema).
# One test process per core (pytest-xdist): the suite is CPU-bound and its fixtures are
# per process (chains, schemas, ports), so the halves never meet.
test: setup
	@if [ -z "$$SANDAN_TEST_POSTGRES_URL" ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  export SANDAN_TEST_POSTGRES_URL=postgresql://postgres@127.0.0.1:5432/test; fi; \
	$(BIN)/python -m pytest -n auto $(PYTEST_ARGS)

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

compile: setup
	$(BIN)/sandan compile

# Debian's Chromium for the browser tests (Playwright cannot download one here),
# and a CJK font so the consumer page's Chinese renders in screenshots.
browser:
	{ command -v chromium && fc-list | grep -qi microhei; } >/dev/null 2>&1 || { \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq \
	    chromium fonts-wqy-microhei >/dev/null; }

clean:
	rm -rf $(VENV) node_modules verifier/node_modules tests/oracles/node_modules .pytest_cache .mypy_cache .ruff_cache

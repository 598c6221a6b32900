# Two commands on a fresh machine: `make demo` and `make test`.
# Each sets up what it needs on first use (virtualenv, Python packages, the
# pinned npm toolchain) and skips that work when the stamps are newer than
# the files that describe it.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PY_STAMP := $(VENV)/.sandan-installed
NODE_STAMP := node_modules/.sandan-installed
PYTEST_ARGS ?=

.PHONY: demo test setup lint typecheck compile browser clean

setup: $(PY_STAMP) $(NODE_STAMP)

$(PY_STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

$(NODE_STAMP): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	touch $@

demo: setup
	$(BIN)/sandan demo

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

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
	rm -rf $(VENV) node_modules .pytest_cache .mypy_cache .ruff_cache

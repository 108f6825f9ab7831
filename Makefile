# The README's commands. Each one sets up what it needs on a fresh machine.
PYTHON ?= python3
VENV   ?= .venv
BIN     = $(VENV)/bin
STAMP   = $(VENV)/.installed-stamp

.PHONY: run test bench lint install clean graphiql chromium

# GraphiQL's browser assets (npm packages pinned by gateway/static/package-lock.json), served by
# the gateway in development instead of a CDN.
GRAPHIQL = gateway/static/node_modules/graphiql/graphiql.min.js
# Debian's headless Chromium, for the GraphiQL browser test.
CHROMIUM = /usr/bin/chromium

$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip==26.3"
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

$(GRAPHIQL): gateway/static/package.json gateway/static/package-lock.json
	command -v npm >/dev/null || (apt-get update && apt-get install -y npm)
	npm ci --prefix gateway/static --no-audit --no-fund --ignore-scripts
	touch $(GRAPHIQL)

graphiql: $(GRAPHIQL)

$(CHROMIUM):
	apt-get update && apt-get install -y chromium

chromium: $(CHROMIUM)

run: $(STAMP) $(GRAPHIQL)
	$(BIN)/mallbots dev

# Each mk/*.mk fragment adds what its part of the suite needs to TEST_DEPS (validators, tools).
TEST_DEPS :=
include $(wildcard mk/*.mk)

test: $(STAMP) $(GRAPHIQL) $(CHROMIUM) $(TEST_DEPS)
	$(BIN)/pytest

bench: $(STAMP)
	$(BIN)/python -m tests.bench

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	! test -f .mallbots/postgres/location || rm -rf "$$(cat .mallbots/postgres/location)"
	rm -rf $(VENV) .mallbots

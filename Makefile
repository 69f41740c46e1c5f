# Each target creates .venv on first use and installs the project into it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed
# GraphiQL's JS/CSS, from the npm registry, served by the gateway itself (no CDN).
GRAPHIQL := gateway/graphiql_assets
GRAPHIQL_STAMP := $(GRAPHIQL)/dist/.installed
# ariadne-codegen has its own venv: it pins older graphql-core and ruff than the project.
CODEGEN_VENV := .venv-codegen
CODEGEN_STAMP := $(CODEGEN_VENV)/.installed

.PHONY: run test lint bench schema clean graphiql codegen typescript

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

$(GRAPHIQL_STAMP): $(GRAPHIQL)/package.json $(GRAPHIQL)/package-lock.json $(GRAPHIQL)/build.mjs
	@if command -v npm >/dev/null; then \
		cd $(GRAPHIQL) && npm ci --no-audit --no-fund --loglevel=error && node build.mjs && touch dist/.installed; \
	else \
		echo "npm not found: GraphiQL's page will say how to install its assets" >&2; \
	fi

$(CODEGEN_STAMP): examples/python/requirements-codegen.txt
	test -d $(CODEGEN_VENV) || $(PYTHON) -m venv $(CODEGEN_VENV)
	$(CODEGEN_VENV)/bin/pip install --quiet -r examples/python/requirements-codegen.txt
	touch $(CODEGEN_STAMP)

graphiql: $(GRAPHIQL_STAMP)

# Generates the typed Python client into examples/python/callbacks_client (git-ignored).
codegen: $(CODEGEN_STAMP)
	$(CODEGEN_VENV)/bin/ariadne-codegen

# The TypeScript example: npm ci, graphql-codegen, tsc, and Apollo fetchMore paging through
# a live `gateway serve` (started and stopped by the script).
typescript: $(STAMP)
	examples/typescript/run-ci.sh

run: $(STAMP) $(GRAPHIQL_STAMP)
	$(BIN)/gateway serve --port $(PORT)

test: lint $(GRAPHIQL_STAMP) $(CODEGEN_STAMP)
	$(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy gateway

bench: $(STAMP)
	$(BIN)/python -m bench.run
	$(BIN)/python -m bench.scaleout

schema: $(STAMP)
	$(BIN)/gateway export-schema --output schema.graphql

clean:
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache $(CODEGEN_VENV)
	rm -rf $(GRAPHIQL)/node_modules $(GRAPHIQL)/dist examples/typescript/node_modules

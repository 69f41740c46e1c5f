# Each target creates .venv on first use and installs the project into it: `make run` only
# what running needs, the other targets the development tools too.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
RUN_STAMP := $(VENV)/.installed-run
STAMP := $(VENV)/.installed
# GraphiQL's JS/CSS, from the npm registry, served by the gateway itself (no CDN). The built
# files are committed in $(GRAPHIQL)/dist (so neither `make run` nor a wheel build needs
# npm); `make graphiql` rebuilds them after package.json changes.
GRAPHIQL := gateway/graphiql_assets
# ariadne-codegen has its own venv: it pins older graphql-core and ruff than the project.
CODEGEN_VENV := .venv-codegen
CODEGEN_STAMP := $(CODEGEN_VENV)/.installed

.PHONY: run test lint bench schema clean graphiql codegen typescript wheel

$(RUN_STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(RUN_STAMP)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP) $(RUN_STAMP)

# Rebuilds the committed dist/ from the npm registry (maintainers, after a version bump).
graphiql:
	cd $(GRAPHIQL) && npm ci --no-audit --no-fund --loglevel=error && node build.mjs

$(CODEGEN_STAMP): examples/python/requirements-codegen.txt
	test -d $(CODEGEN_VENV) || $(PYTHON) -m venv $(CODEGEN_VENV)
	$(CODEGEN_VENV)/bin/pip install --quiet -r examples/python/requirements-codegen.txt
	touch $(CODEGEN_STAMP)

# Generates the typed Python client into examples/python/callbacks_client (git-ignored).
codegen: $(CODEGEN_STAMP)
	$(CODEGEN_VENV)/bin/ariadne-codegen

# The TypeScript example: npm ci, graphql-codegen, tsc, and Apollo fetchMore paging through
# a live `gateway serve` (started and stopped by the script).
typescript: $(STAMP)
	examples/typescript/run-ci.sh

run: $(RUN_STAMP)
	$(BIN)/gateway serve --port $(PORT)

# The wheel and sdist (GraphiQL included) into dist/; needs no npm.
wheel: $(STAMP)
	$(BIN)/python -m build --outdir dist .

test: lint $(CODEGEN_STAMP)
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
	rm -rf $(VENV) .data .pytest_cache .mypy_cache .ruff_cache $(CODEGEN_VENV) build dist
	rm -rf $(GRAPHIQL)/node_modules examples/typescript/node_modules

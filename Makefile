# Run `make` (or `make help`) to list the targets.
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: help setup test test-fast lint typecheck format check bench bench-lsp bench-http serve daemon demo clean \
	vscode-setup vsix vscode-check vscode-test code-server e2e-vscode

help: ## list the targets
	@grep -E '^[a-z0-9-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-13s %s\n", $$1, $$2}'

setup: ## create .venv and install kenning with its dev tools
	python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'

test: ## run the whole test suite (as CI does)
	$(PY) -m pytest

test-fast: ## the tests a developer runs while working: all but the slow end-to-end ones, on every core
	$(PY) -m pytest -m "not slow" -n auto

lint: ## ruff lint and format check
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

typecheck: ## mypy
	$(VENV)/bin/mypy

format: ## apply ruff formatting and safe fixes
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

check: lint typecheck test ## everything CI runs

bench: ## phase-1 benchmark on pinned requests, Flask and Django sdists (downloads them)
	$(PY) bench/phase1.py

bench-lsp: ## latency through LSP: saves, call hierarchy, search (Flask and Django)
	$(PY) -m bench.lsp_latency

bench-http: ## load on the HTTP API: 20 clients x 200 searches on Flask, p50/p99
	$(PY) -m bench.http_load

serve: ## run the language server on stdio (for an editor to connect to)
	$(VENV)/bin/kenning serve

daemon: ## own this workspace with no editor: index it, serve the HTTP API
	$(VENV)/bin/kenning daemon .

demo: ## index this repository and search it
	$(VENV)/bin/kenning index .
	$(VENV)/bin/kenning search "resolve call target"

# -- the VS Code extension (vscode-extension/, docs/vscode.md) -------------------------
VSCODE := vscode-extension

$(VSCODE)/node_modules/.package-lock.json: $(VSCODE)/package-lock.json
	cd $(VSCODE) && npm ci --no-audit --no-fund

vscode-setup: ## install the VS Code extension's npm packages (npm ci)
	cd $(VSCODE) && npm ci --no-audit --no-fund

vsix: $(VSCODE)/node_modules/.package-lock.json ## package the VS Code extension: vscode-extension/kenning.vsix
	cd $(VSCODE) && npm run package

vscode-check: $(VSCODE)/node_modules/.package-lock.json ## type-check and lint the VS Code extension
	cd $(VSCODE) && npx tsc -p . --noEmit && npm run lint

vscode-test: $(VSCODE)/node_modules/.package-lock.json ## the extension's fast tests against the real server
	cd $(VSCODE) && KENNING_PYTHON=$(abspath $(PY)) npm test

code-server: ## install code-server 4.100.3 (a real VS Code) for the e2e tests; cached
	bash vscode-extension/scripts/install-code-server.sh

e2e-vscode: code-server vsix ## the VS Code extension end to end in code-server (needs its vsix)
	$(PY) -m pytest -p no:cacheprovider tests/clients/test_vscode_e2e.py

clean: ## remove the virtualenv, caches and this repository's own index
	rm -rf $(VENV) .kenning .mypy_cache .ruff_cache .pytest_cache $(VSCODE)/out $(VSCODE)/kenning.vsix

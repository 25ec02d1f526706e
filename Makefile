# Two commands do all the set-up: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install lint run test fuzz bench clean node-deps bench-interop chromium

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# Digital Bazaar's verifier, for the interoperability tests and the Node peer benchmark
NODE_STAMP := bench/node/node_modules/.package-lock.json
$(NODE_STAMP): bench/node/package.json bench/node/package-lock.json
	npm ci --prefix bench/node --no-audit --no-fund

node-deps: $(NODE_STAMP)

run: install
	$(BIN)/academy db upgrade
	$(BIN)/academy demo load --if-empty
	$(BIN)/academy serve

# Debian's headless Chromium for tests/web/test_browser.py (never a downloaded browser)
chromium:
	test -x /usr/bin/chromium || (apt-get update && apt-get install -y chromium)

# One-way imports and no cycles (.importlinter), no dead code (vulture, [tool.vulture])
lint: install
	$(BIN)/lint-imports
	$(BIN)/vulture

test: install lint node-deps chromium
	$(BIN)/python -m pytest

fuzz: install
	$(BIN)/python bench/fuzz.py

bench-interop: install node-deps
	$(BIN)/python bench/interop.py --n 500

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis bench/node/node_modules

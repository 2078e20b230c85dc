# Two commands on a fresh machine: `make run` (the control matrix of the demo stack, offline) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
STACK ?= demo
CHECKOV_VENV ?= .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-stamp
PROWLER_VENV ?= .venv-prowler
PROWLER_STAMP := $(PROWLER_VENV)/.installed-stamp

.PHONY: install checkov-env prowler-env browser sarif-schema run synth matrix check test lint clean bench

$(STAMP): pyproject.toml
	@echo "==> installing the project and its test tools into $(VENV) (about 2 minutes, once)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)
	@echo "==> $(VENV) ready: $$($(BIN)/glz --version)"

install: $(STAMP)

# checkov pins old boto3 and packaging<24: it gets its own environment and runs as a program.
$(CHECKOV_STAMP): checkov-requirements.txt
	@echo "==> installing checkov into $(CHECKOV_VENV), apart from pulumi's pins (about 1 minute, once)"
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r checkov-requirements.txt
	touch $(CHECKOV_STAMP)

checkov-env: $(CHECKOV_STAMP)

# Prowler, the second-opinion scanner the tests run against the emulated account, pins its own boto3,
# pydantic and cloud SDKs: its own environment too.
$(PROWLER_STAMP): prowler-requirements.txt
	@echo "==> installing Prowler into $(PROWLER_VENV) for the scanner tests (about 2 minutes, once)"
	$(PYTHON) -m venv $(PROWLER_VENV)
	$(PROWLER_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(PROWLER_VENV)/bin/python -m pip install --quiet -r prowler-requirements.txt
	touch $(PROWLER_STAMP)

prowler-env: $(PROWLER_STAMP)

# The HTML matrix is tested in a real headless Chromium: Debian's packages, installed once.
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
browser:
	@if command -v chromium >/dev/null && command -v chromedriver >/dev/null; then \
		echo "chromium: $$(chromium --version 2>/dev/null)"; \
	else \
		echo "==> installing Chromium and its driver for the HTML matrix tests (once)"; \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends chromium chromium-driver; \
	fi

# The SARIF 2.1.0 JSON schema the tests validate the gate's report against. No PyPI package ships it; Microsoft's
# @microsoft/jest-sarif (npm, MIT) carries SchemaStore's copy, sarif-2.1.0-rtm.5.json. npm checks the tarball against
# the registry's integrity; the test checks the schema's own SHA-256.
SARIF_SCHEMA_DIR := .sarif-schema
SARIF_SCHEMA := $(SARIF_SCHEMA_DIR)/sarif-2.1.0-rtm.5.json
$(SARIF_SCHEMA):
	@echo "==> fetching the SARIF 2.1.0 schema from the npm registry (@microsoft/jest-sarif 1.0.0-beta.0, once)"
	rm -rf $(SARIF_SCHEMA_DIR) && mkdir -p $(SARIF_SCHEMA_DIR)
	cd $(SARIF_SCHEMA_DIR) && npm pack --silent @microsoft/jest-sarif@1.0.0-beta.0 >/dev/null && \
		tar xzf microsoft-jest-sarif-1.0.0-beta.0.tgz package/lib/schemas/sarif-2.1.0-rtm.5.json && \
		mv package/lib/schemas/sarif-2.1.0-rtm.5.json . && rm -rf package microsoft-jest-sarif-1.0.0-beta.0.tgz

sarif-schema: $(SARIF_SCHEMA)

run: matrix  ## the main job: synthesize the demo stack, run the gate, write the control matrix

bench: install checkov-env  ## the gate against checkov alone, 200 to 20,000 resources: writes benchmarks/results.md
	$(BIN)/python benchmarks/bench_gate.py --runs 3

matrix: install checkov-env
	$(BIN)/glz matrix --stack $(STACK)

synth: install  ## only synthesize the demo stack offline and print a summary
	$(BIN)/glz synth --stack $(STACK)

check: install checkov-env  ## the CI gate: synthesize, run the policy rules and checkov
	$(BIN)/glz check --stack $(STACK)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

test: install checkov-env prowler-env browser sarif-schema lint  ## ruff, then the whole test suite
	$(BIN)/python -m pytest -n auto -q

clean:
	rm -rf build .pytest_cache

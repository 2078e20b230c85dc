# Two commands on a fresh machine: `make run` (synthesize the demo stack offline) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
STACK ?= demo
CHECKOV_VENV ?= .venv-checkov
CHECKOV_STAMP := $(CHECKOV_VENV)/.installed-stamp

.PHONY: install checkov-env run synth check test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

# checkov pins old boto3 and packaging<24: it gets its own environment and runs as a program.
$(CHECKOV_STAMP): checkov-requirements.txt
	$(PYTHON) -m venv $(CHECKOV_VENV)
	$(CHECKOV_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(CHECKOV_VENV)/bin/python -m pip install --quiet -r checkov-requirements.txt
	touch $(CHECKOV_STAMP)

checkov-env: $(CHECKOV_STAMP)

run: install  ## synthesize the demo stack offline and print a summary
	$(BIN)/glz synth --stack $(STACK)

synth: run

check: install checkov-env  ## the CI gate: synthesize, run the policy rules and checkov
	$(BIN)/glz check --stack $(STACK)

lint: install
	$(BIN)/ruff check .

test: install checkov-env lint  ## ruff, then the whole test suite
	$(BIN)/python -m pytest -n auto -q

clean:
	rm -rf build .pytest_cache

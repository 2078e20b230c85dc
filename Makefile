# Two commands on a fresh machine: `make run` (synthesize the demo stack offline) and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
STACK ?= demo

.PHONY: install run synth test lint clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

run: install  ## synthesize the demo stack offline and print a summary
	$(BIN)/glz synth --stack $(STACK)

synth: run

lint: install
	$(BIN)/ruff check .

test: install lint  ## ruff, then the whole test suite
	$(BIN)/python -m pytest -n auto -q

clean:
	rm -rf build .pytest_cache

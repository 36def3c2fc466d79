# Two commands for a newcomer: `make run` and `make test`. Everything else is a helper.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 8501
export WORKBENCH_HOME ?= $(CURDIR)/workbench-data

.PHONY: run test bench screenshots lint format clean common-passwords

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Stamps: reinstall only when a requirements file or the package metadata changes.
$(VENV)/.runtime: requirements.txt pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -r requirements.txt
	$(BIN)/python -m pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.dev: requirements-dev.txt $(VENV)/.runtime
	$(BIN)/python -m pip install --quiet -r requirements-dev.txt
	touch $@

run: $(VENV)/.runtime
	$(BIN)/workbench init --demo
	$(BIN)/streamlit run server.py --server.port $(PORT) --server.address localhost

test: $(VENV)/.dev
	$(BIN)/python -m pytest
	$(BIN)/ruff check .

# Benchmarks, each against a baseline measured in the same run (bench/README.md).
bench: $(VENV)/.dev
	$(BIN)/python -m bench

# The browser tests write their screenshots into docs/screenshots (the README shows them).
screenshots: $(VENV)/.dev
	WORKBENCH_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/python -m pytest tests/browser -q

lint: $(VENV)/.dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: $(VENV)/.dev
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The shipped list of common passwords, from zxcvbn's frequency list (a dev requirement).
common-passwords: $(VENV)/.dev
	$(BIN)/python -m workbench.passwords_list > workbench/data/common-passwords.txt

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache *.egg-info

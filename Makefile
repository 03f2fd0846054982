# Two commands set up a machine: `make run` (the app) and `make test` (the suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# torch first, pinned: that exact version is the CPU build; anything looser pulls CUDA.
TORCH := torch==2.13.0
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test

.PHONY: run test bench screenshots clean

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $@

run: $(STAMP)
	$(BIN)/trackside gui

test: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q

# `make bench ONLY=sim` runs the benchmarks whose name contains "sim".
bench: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.bench $(if $(ONLY),--only $(ONLY))

screenshots: $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m gui.screenshots --out assets/screenshots

clean:
	rm -rf $(VENV) build *.egg-info

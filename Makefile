# Two commands set up a machine: `make run` (the app) and `make test` (the suite).
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
# torch first, pinned: that exact version is the CPU build; anything looser pulls CUDA.
TORCH := torch==2.13.0
STAMP := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
# Qt's system libraries (and Debian's venv package; for `make test` also poppler-utils and chromium,
# which the browser tests drive headless): installed when root with apt-get, else
# the one `sudo apt-get install ...` line is printed and make stops. Standard library only.
SYSTEM_CHECK := $(PY) gui/system_check.py

.PHONY: run test bench screenshots clean system-gui system-offscreen

$(BIN)/python:
	@$(SYSTEM_CHECK) venv
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install --quiet $(TORCH)
	$(BIN)/python -m pip install --quiet -e .
	$(BIN)/python -m sim.warm_up
	touch $@

$(TEST_STAMP): $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,cluster]'
	touch $@

# Checked before the (long) install, so a missing library is reported in seconds.
system-gui:
	@$(SYSTEM_CHECK) gui

system-offscreen:
	@$(SYSTEM_CHECK) offscreen

run: system-gui $(STAMP)
	$(BIN)/trackside gui

# One test process per core (pytest-xdist): each test has its own TRACKSIDE_HOME and files.
test: system-offscreen $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m pytest -q -n auto

# `make bench ONLY=sim` runs the benchmarks whose name contains "sim".
bench: system-offscreen $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m tests.bench $(if $(ONLY),--only $(ONLY))

screenshots: system-offscreen $(TEST_STAMP)
	QT_QPA_PLATFORM=offscreen $(BIN)/python -m gui.screenshots --out assets/screenshots

clean:
	rm -rf $(VENV) build *.egg-info

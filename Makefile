# Two commands take a fresh clone to the running demo and to a green test run:
#   make demo    make test
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)
PORT   ?= 8000

.PHONY: demo test install lint notebooks bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

demo: install
	$(BIN)/recruitgraph demo --port $(PORT)

# The page tests drive Debian's chromium; playwright's own browser download is never used.
CHROMIUM := /usr/bin/chromium
$(CHROMIUM):
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq chromium >/dev/null

# The remote-store tests start Debian's Virtuoso 7 on loopback (tests/conftest.py).
VIRTUOSO := /usr/bin/virtuoso-t
$(VIRTUOSO):
	if [ "$$(id -u)" = 0 ]; then SUDO=; else SUDO=sudo; fi; \
	$$SUDO apt-get update -qq && $$SUDO apt-get install -y -qq virtuoso-opensource-7-bin >/dev/null

test: install $(CHROMIUM) $(VIRTUOSO)
	$(BIN)/python -m pytest -q

# ruff (lint and format) and mypy over graph/ and api/ ([tool.mypy] in pyproject.toml)
lint: install
	$(BIN)/ruff check . && $(BIN)/ruff format --check . && $(BIN)/mypy

# Runs every analyst notebook on a fresh kernel and keeps the executed copies, outputs and
# plots included, in build/notebooks/; notebooks/ itself stays without outputs.
notebooks: install
	rm -rf build/notebooks && mkdir -p build/notebooks && cp notebooks/*.ipynb build/notebooks/
	MPLBACKEND=Agg $(BIN)/jupyter-execute --inplace --timeout=300 build/notebooks/*.ipynb

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache .mypy_cache

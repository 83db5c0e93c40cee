# The README's two commands. Each does all the set-up on a fresh machine with Python 3.11.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# Models load from site-packages; nothing is downloaded at run time.
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1

.PHONY: demo test test-all test-peer bench install clean

demo: $(STAMP)
	$(BIN)/mlcanon report

test: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q

test-all: $(STAMP)
	$(BIN)/python -m pytest -n 2 -q -m ""

# The reference libraries' own test files (from their installed wheels) run against mlcanon's
# estimators; prints per-file counts, writes benchmarks/results/peer_tests.json. Not part of `make test`.
test-peer: $(STAMP)
	$(BIN)/python tools/peer_tests.py -n 2

bench: $(STAMP)
	$(BIN)/python -m benchmarks all

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

clean:
	rm -rf $(VENV) report .pytest_cache

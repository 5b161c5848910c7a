# Two set-up commands on a fresh machine (Python 3.11):  `make demo`  and  `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   ?= .venv
BIN    := $(VENV)/bin
export NUMBA_CACHE_DIR ?= $(CURDIR)/.numba_cache

.PHONY: demo test test-later bench snapshot clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

## demo: install, then run the weekly signal for 560860 on the bundled snapshot (offline)
demo: $(VENV)/.installed
	$(BIN)/quantkit signal --etf 560860

## test: install with test extras, then run the whole suite
test: $(VENV)/.installed-test
	$(BIN)/python -m pytest

## test-later: the same suite with the wall clock 400 days ahead (it must pass on any day)
test-later: $(VENV)/.installed-test
	$(BIN)/python tests/clock_ahead.py 400 -- date +"the clock of this run: %F"
	$(BIN)/python tests/clock_ahead.py 400 -- $(BIN)/python -m pytest

bench: $(VENV)/.installed-test
	for f in benchmarks/bench_*.py; do echo "== $$f"; $(BIN)/python $$f || exit 1; done

## snapshot: rebuild data_cache/snapshot from the raw shared data (deterministic)
snapshot: $(VENV)/.installed
	$(BIN)/python data_cache/build_snapshot.py

clean:
	rm -rf $(VENV) .numba_cache .pytest_cache

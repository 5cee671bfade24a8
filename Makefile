# Developer shortcuts. The venv is .venv (python -m venv .venv && .venv/bin/pip install -e '.[test]').
PYTHON ?= .venv/bin/python

.PHONY: bench bench-quick

# Every benchmark against its same-run baseline; ~10 min on 2 cores. Results: bench/results/.
bench:
	$(PYTHON) bench/run_all.py

# A smoke run of the same, about a minute.
bench-quick:
	$(PYTHON) bench/run_all.py --quick

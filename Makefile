# The two set-up commands in the README: `make crawl` and `make test`. Both create .venv if missing.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
DB ?= sqlite:///wiredesk.db
# Three test processes: most tests wait on loopback crawls, so three keep two cores busy. They take
# tests one at a time, the `slow`-marked ones first (tests/conftest.py), so no long test starts
# last; tests that share a module's crawl (`xdist_group`) go to one process, which crawls once.
# The ten slowest tests are printed at the end, to see where the suite's time goes.
PYTEST_ARGS ?= -n 3 --dist loadgroup --durations=10

.PHONY: crawl test lint demo bench clean-venv

$(BIN)/wiredesk: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	touch $@

crawl: $(BIN)/wiredesk
	$(BIN)/wiredesk crawl --days 2 --db $(DB)

# The suite starts some two hundred Python processes (crawls, imports, daemons, cleaning workers) that
# import the project; with PYTHONDONTWRITEBYTECODE set, as on some machines, each would compile its
# modules again (a fifth of a second of CPU a crawl): they are compiled once, first (docs/testing.md).
test: $(BIN)/wiredesk
	$(BIN)/ruff check .
	$(BIN)/python -m compileall -q crawler cleaner storage benchmarks
	$(BIN)/python -m pytest $(PYTEST_ARGS)

demo: $(BIN)/wiredesk
	$(BIN)/wiredesk demo

bench: $(BIN)/wiredesk
	$(BIN)/python -m benchmarks.extraction
	$(BIN)/python -m benchmarks.dedup

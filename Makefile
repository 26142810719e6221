# Every target bootstraps .venv/ itself; `make demo` and `make test` are the two README commands.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test lint typecheck unit venv bench-speed bench-evidence bench-evidence-quick clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "shouhou needs Python >= 3.11")'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,ml,bench,postgres]'
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/shouhou demo --out var/demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/lint-imports

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest -q

test: lint typecheck unit

bench-speed: $(STAMP)
	$(BIN)/python benchmarks/inspect_speed.py

# The committed scorecard (benchmarks/evidence/) and the engine's fitted thresholds come from this run.
SHARED_DATA ?= ../shared/data
bench-evidence: $(STAMP)
	$(BIN)/shouhou bench evidence --data $(SHARED_DATA) --out bench-out --seed 1 --install-thresholds

# A few dozen cases with the shipped thresholds; fails below the floor set from the committed scorecard.
bench-evidence-quick: $(STAMP)
	$(BIN)/shouhou bench evidence --data $(SHARED_DATA) --out test-artifacts/bench-quick --quick \
		--check-floor benchmarks/evidence/scorecard.json

clean:
	rm -rf $(VENV) var build *.egg-info

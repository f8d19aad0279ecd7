# Every target installs what it needs into .venv first, so a fresh clone needs only `make demo` / `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_DB ?= data/demo.db

.PHONY: install test lint demo serve bench sample clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

test: install
	$(BIN)/pytest -q -n 4

lint: install
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks
	$(BIN)/mypy

demo: install
	rm -f $(DEMO_DB) $(DEMO_DB)-wal $(DEMO_DB)-shm
	$(BIN)/paperharvest fetch --venue iclr2020 --replay data/sample/iclr2020 --db $(DEMO_DB)
	$(BIN)/paperharvest summary --venue iclr2020 --db $(DEMO_DB)
	$(BIN)/paperharvest digest --venue iclr2020 --db $(DEMO_DB) --status accepted --out data/demo-digest.md
	@echo "the accepted papers' post: data/demo-digest.md"
	$(BIN)/paperharvest stats --venue iclr2020 --db $(DEMO_DB) --plot data/demo-stats.png --quiet
	@echo "the statistics figure: data/demo-stats.png"

# Datasette on the demo database (`make demo` first), described by the generated metadata; Ctrl-C stops it.
serve: install
	$(BIN)/pip install --quiet -e '.[datasette]'
	$(BIN)/paperharvest datasette-metadata --db $(DEMO_DB) --out data/demo-metadata.json
	$(BIN)/datasette serve $(DEMO_DB) --metadata data/demo-metadata.json

bench: install
	$(BIN)/python benchmarks/bench_harvest.py
	$(BIN)/python benchmarks/bench_history.py
	$(BIN)/python benchmarks/bench_arxiv.py
	$(BIN)/python benchmarks/bench_attribution.py

# Re-record the bundled sample from the hand-written fixture venue (no network: a local fake server).
sample: install
	$(BIN)/python -m tests.fakes.record_sample data/sample/iclr2020

clean:
	rm -rf $(VENV) build dist src/*.egg-info

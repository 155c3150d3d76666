# uv is the only tool needed up front; it is installed with pip when missing.
UV := $(shell command -v uv 2>/dev/null || echo "python3 -m uv")

.PHONY: setup serve test lint typecheck bench fuzz

setup:
	@$(UV) --version >/dev/null 2>&1 || python3 -m pip install --quiet uv
	@$(UV) sync --locked --quiet
	@command -v npm >/dev/null 2>&1 && npm ci --ignore-scripts --no-audit --no-fund --silent || echo 'npm not found: browser assets (widget, UI scripts) not installed'

# Demo data on the embedded SQLite default, then the server on http://127.0.0.1:3000
serve: setup
	$(UV) run omnicontacts demo
	$(UV) run omnicontacts serve

# The whole suite on SQLite; on PostgreSQL too when OMNICONTACTS_TEST_POSTGRES_URL is set.
test: setup
	$(UV) run pytest

lint: setup
	$(UV) run ruff check
	$(UV) run ruff format --check

typecheck: setup
	$(UV) run mypy

# The 10k-contact data set (a few seconds to build), then project against floor; needs wrk.
bench: setup
	$(UV) run python -m bench.generate --schema s10k --contacts 10000 --rooms 100000 --drop
	$(UV) run python -m bench.run --schema s10k

# The hostile-input suite, longer than in CI and with fresh inputs each run (tests/fuzz).
FUZZ_EXAMPLES ?= 300
fuzz: setup
	OMNICONTACTS_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) OMNICONTACTS_FUZZ_RANDOM=1 $(UV) run pytest tests/fuzz -q

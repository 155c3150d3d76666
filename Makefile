# uv: the one on the PATH, else `python3 -m uv`, else one installed into .tools/ (a virtual
# environment of the project's own: the system Python is never touched, no sudo is needed).
UV := $(shell command -v uv 2>/dev/null || (python3 -m uv --version >/dev/null 2>&1 && echo "python3 -m uv") || echo .tools/bin/uv)

.PHONY: setup serve test lint typecheck bench fuzz

setup:
	@$(UV) --version >/dev/null 2>&1 || { python3 -m venv .tools && .tools/bin/python -m pip install --quiet --disable-pip-version-check uv; }
	@$(UV) sync --locked --quiet
	@if command -v npm >/dev/null 2>&1; then npm ci --ignore-scripts --no-audit --no-fund --silent; else python3 scripts/install_assets.py; fi

# Demo data on the embedded SQLite default, then the server on http://127.0.0.1:3000.
# The administrator is admin / change-me unless ADMIN_USERNAME / ADMIN_PASS say otherwise.
serve: export ADMIN_USERNAME ?= admin
serve: export ADMIN_PASS ?= change-me
serve: setup
	$(UV) run omnicontacts demo
	$(UV) run omnicontacts serve

# The whole suite on SQLite; on PostgreSQL too when OMNICONTACTS_TEST_POSTGRES_URL is set
# (the last line of the run says which).
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

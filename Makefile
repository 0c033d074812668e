# partnermatch: `make run` serves the demo, `make test` runs the tests. Both set up .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
HOST   ?= 127.0.0.1
PORT   ?= 8000

.PHONY: install lock run test test-store test-fast test-browser chromium vendor opensearch-node lint bench clean

# The pinned versions of requirements-dev.lock (`make lock` writes it), then the project.
$(STAMP): pyproject.toml requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit("partnermatch needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet --require-hashes -r requirements-dev.lock
	$(BIN)/python -m pip install --quiet --no-deps -e '.[test]'
	@$(BIN)/python -m pip check || (echo "requirements-dev.lock misses a dependency of pyproject.toml: run make lock"; exit 1)
	@touch $(STAMP)

install: $(STAMP)

run: install
	$(BIN)/partnermatch seed --partners 5000 --if-empty
	$(BIN)/partnermatch keys demo --url http://$(HOST):$(PORT)
	$(BIN)/partnermatch serve --host $(HOST) --port $(PORT)

# SQLite always; PostgreSQL too when PARTNERMATCH_TEST_DATABASE_URL names one. Each store
# runs the suite in parallel (pytest-xdist, one worker per core), then the tests that start
# a real OpenSearch node or Chromium in one process (one node, one browser per run).
PARALLEL := not browser and not opensearch
test: install
	env -u PARTNERMATCH_TEST_DATABASE_URL $(MAKE) --no-print-directory test-store
	@if [ -n "$$PARTNERMATCH_TEST_DATABASE_URL" ]; then \
		echo "== the same suite on $$PARTNERMATCH_TEST_DATABASE_URL"; \
		$(MAKE) --no-print-directory test-store; \
	fi

test-store:
	$(BIN)/pytest -n auto -m "$(PARALLEL)"
	$(BIN)/pytest -m "not ($(PARALLEL))"

# The inner loop: SQLite, no property/fuzz/contract tests, no server processes, node or browser.
test-fast: install
	env -u PARTNERMATCH_TEST_DATABASE_URL $(BIN)/pytest -n auto -x \
		-m "not slow and not e2e and not browser and not opensearch"

# The browser tests only (marker `browser`), to time them separately.
test-browser: install
	$(BIN)/pytest -m browser

# Debian's Chromium for the browser tests (root; Playwright's own browser download is not used).
chromium:
	@test -x /usr/bin/chromium || apt-get install -y chromium || \
		(apt-get update && apt-get install -y chromium)

# Re-vendor htmx (served by the pages) and axe-core (browser tests) from npm, pinned versions.
vendor:
	bash scripts/vendor-assets.sh

# Fetch OpenSearch's jars into ~/.m2 and compile the single-node launcher (needs Java 17 and Maven);
# the OpenSearch tests and benchmarks also do this on first use.
opensearch-node:
	mvn -q -B -f opensearch-node/pom.xml compile && touch opensearch-node/target/2.19.3/built.stamp

# Re-pin every dependency for Python 3.11 on Linux, with hashes; commit the results:
# requirements.lock for the service (the Dockerfile: postgres and opensearch extras),
# requirements-dev.lock for development and CI (the test extra). uv resolves, pip installs.
LOCK := $(BIN)/uv pip compile pyproject.toml --python-version 3.11 \
	--python-platform x86_64-unknown-linux-gnu --generate-hashes --quiet
lock: install
	$(BIN)/python -m pip install --quiet uv
	$(LOCK) --extra postgres --extra opensearch -o requirements.lock
	$(LOCK) --extra test -o requirements-dev.lock

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

clean:
	rm -rf $(VENV) var partnermatch.db partnermatch.db-wal partnermatch.db-shm

# The two commands the README promises: `make up` and `make test`. Both work on a fresh machine.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_DIR ?= ./farmstead-data
HOST ?= 127.0.0.1
PORT ?= 8245
WORKERS ?= 2
PYTEST_ARGS ?=

.PHONY: install up test lint check screenshots bench bench-slurm clean coverage browser render-tools ldap-tools ssh-tools slurm vendor

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP) vendor

# The browser libraries the web monitor serves from its own package (never a CDN): package.json pins them,
# package-lock.json their hashes; `npm ci` fetches them and the monitor's copy goes to web/static/vendor
# (docs/web.md, "Libraries"). node_modules also holds axe-core for the browser tests' accessibility check and
# oidc-provider, the OpenID provider the OIDC sign-in tests run under Node (tests/support/oidc_provider.py).
# Without npm the monitor still works: charts are shown as their tables, and the axe and OIDC tests skip, saying so.
VENDOR := src/farmstead/web/static/vendor
$(VENDOR)/.copied: package.json package-lock.json
	@if command -v npm >/dev/null; then \
		npm ci --no-audit --no-fund --loglevel=error && mkdir -p $(VENDOR) && \
		cp node_modules/chart.js/dist/chart.umd.min.js $(VENDOR)/chart.umd.min.js && \
		cp node_modules/chart.js/LICENSE.md $(VENDOR)/chart.js-LICENSE.md && touch $@; \
	else echo "npm is missing: the monitor's charts show as tables and the accessibility checks will skip"; fi

vendor: $(VENDOR)/.copied

# The server, $(WORKERS) local workers and a ready farm (docs/up.md); Ctrl-C stops them all.
up: install
	$(BIN)/farmstead up --host $(HOST) --port $(PORT) --data-dir $(DATA_DIR) --workers $(WORKERS)

# The gate CI runs before the tests: ruff (pyflakes, pycodestyle, isort, pyupgrade, bugbear), then mypy
# (every function body checked; domain/ and protocol/ strict), then vulture (dead code; what only a
# framework or a template uses is listed in tools/vulture_whitelist.py). All configured in pyproject.toml.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy
	$(BIN)/vulture

# The inner loop, well under a minute: the gate, then the tests that start no server and open no
# database (domain, protocol, job attachments, the worker's sessions, import and repository rules);
# the few worker tests that need the S3 store (marked s3_store) run in make test.
CHECK_TESTS ?= tests/domain tests/protocol tests/attachments tests/worker tests/test_layering.py \
	tests/test_repository.py tests/test_tampering.py
check: lint
	$(BIN)/python -m pytest -q -n 2 -m "not s3_store" $(CHECK_TESTS) $(PYTEST_ARGS)

# The web monitor's browser tests (tests/web) drive Debian's Chromium: installed here when missing and we
# are root with apt-get; otherwise those tests skip and say why.
browser:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium for the browser tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium >/dev/null 2>&1; } || \
		echo "chromium could not be installed: the browser tests will skip"; \
	fi

# The render tests (tests/render, bench render) run Debian's Blender and ffmpeg: installed here when
# missing and we are root with apt-get; otherwise those tests skip and say why.
render-tools:
	@if { [ ! -x /usr/bin/blender ] || [ ! -x /usr/bin/ffmpeg ]; } && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing blender and ffmpeg for the render tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q blender ffmpeg >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q blender ffmpeg >/dev/null 2>&1; } || \
		echo "blender and ffmpeg could not be installed: the render tests will skip"; \
	fi

# The directory sign-in tests (tests/web/test_monitor_directory_signin.py) start Debian's OpenLDAP
# server (slapd) on a loopback port: installed here when missing and we are root with apt-get (the service
# the package starts, listening on every address, is stopped and disabled: the tests run their own);
# otherwise those tests skip and say why.
ldap-tools:
	@if [ ! -x /usr/sbin/slapd ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing slapd and ldap-utils for the directory sign-in tests"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q slapd ldap-utils >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q slapd ldap-utils >/dev/null 2>&1; } || \
		echo "slapd could not be installed: the directory sign-in tests will skip"; \
		if command -v systemctl >/dev/null; then systemctl disable --now slapd >/dev/null 2>&1 || true; \
		else service slapd stop >/dev/null 2>&1 || true; fi; \
	fi

# The SSH scaler's test (tests/e2e/test_ssh_scaler.py) runs Debian's OpenSSH server in a network
# namespace of its own as the "remote host": installed here when missing and we are root with apt-get
# (the service the package starts is stopped and disabled: the test runs its own sshd); otherwise that
# test skips and says why.
ssh-tools:
	@if [ ! -x /usr/sbin/sshd ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing openssh-server and openssh-client for the SSH scaler test"; \
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-server openssh-client >/dev/null 2>&1 || \
		{ apt-get update -q >/dev/null 2>&1 && DEBIAN_FRONTEND=noninteractive apt-get install -y -q openssh-server openssh-client >/dev/null 2>&1; } || \
		echo "openssh-server could not be installed: the SSH scaler test will skip"; \
		if command -v systemctl >/dev/null; then systemctl disable --now ssh >/dev/null 2>&1 || true; \
		else service ssh stop >/dev/null 2>&1 || true; fi; \
	fi

# The Slurm scaler's test (tests/e2e/test_process_scaler.py) submits workers to a one-node Slurm:
# installed and started here (tools/slurm_local.sh, root) unless a node already takes jobs.
slurm:
	@if ! sinfo --noheader --format=%T 2>/dev/null | grep -q -e idle -e mix; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
			./tools/slurm_local.sh || echo "Slurm could not be started: the Slurm scaler test will skip"; \
		else echo "no Slurm and not root: the Slurm scaler test will skip"; fi; \
	fi

# The whole suite on the embedded store (tests/store and tests/scaleout use PostgreSQL there too when
# one answers), three test processes on the 2 cores (the e2e and CLI suites use ~1.2 cores at two: most of
# their time is waiting on servers and workers), then every suite that starts a server again on PostgreSQL: each server the tests start,
# the shared one and those a test starts itself, gets a fresh database (farmstead.testing.databases), and
# the studio example in tests/testing runs its own pytest on PostgreSQL too.
# Left out of the second pass: tests/store and tests/scaleout (already on PostgreSQL), the suites that
# never open a store (domain, protocol, worker, attachments), `farmstead up` and `db backup`/`upgrade`
# of a data dir (the embedded store by definition), the Blender renders (tests/render: ~2 minutes
# whose frames do not depend on the store; FARMSTEAD_TEST_STORE=postgresql runs them there too), and the
# monitor's browser tests (~2 minutes of Chromium checking layout, scripts and accessibility; the pages'
# calls through the store are the HTTP monitor tests', which do run on PostgreSQL). Of the end-to-end
# suites, whose server side is in tests/api (which runs there), only the real workers' own
# (farmstead worker, the official agent) and the deadline CLI's store-backed commands run again: the
# others' subject is the client side (job attachments through the S3 store, bundles, template copies,
# host configuration, chunking, blocklists, slots, work hours, scalers; ~2 minutes). tests/background
# runs again (the event outbox and its sinks write beside every change), and of tests/testing the
# studio example (its own pytest on PostgreSQL) and the plugin's store choice. Five test processes there:
# that pass waits on PostgreSQL's round trips, servers and workers far more than it computes (its test
# processes, servers and workers used ~180 s of CPU in a 470 s pass at three; at five it took 191 s).
# The first pass computes (Chromium, Blender, the servers): four processes took it no faster than three.
# Without a PostgreSQL (127.0.0.1:5432, or FARMSTEAD_TEST_DATABASE_URL) that pass is skipped, and said so.
PG_TESTS ?= tests/api tests/logs tests/cli tests/web tests/background tests/testing/test_studio_example.py \
	tests/testing/test_pytest_plugin.py tests/e2e/test_farmstead_worker.py tests/e2e/test_official_worker_agent.py \
	tests/e2e/test_deadline_cli.py --ignore=tests/cli/test_up.py --ignore=tests/cli/test_db.py \
	--ignore=tests/web/test_browser.py --ignore=tests/web/test_browser_wrangler.py
test: install browser render-tools ldap-tools ssh-tools slurm
	$(BIN)/python -m pytest -n 3 $(PYTEST_ARGS); rc=$$?; \
	if [ $$rc -eq 5 ]; then echo "pytest collected no tests"; rc=0; fi; [ $$rc -eq 0 ] || exit $$rc
	@if reason=$$($(BIN)/python -m farmstead.testing.databases); then \
		echo "== again on PostgreSQL: $(PG_TESTS)"; \
		FARMSTEAD_TEST_STORE=postgresql $(BIN)/python -m pytest -n 5 $(PG_TESTS) $(PYTEST_ARGS); \
	else echo "== PostgreSQL ABSENT, NOT TESTED: the PostgreSQL store, the scale-out tests and the second pass on PostgreSQL were skipped ($$reason)"; fi

# The README's pictures (docs/images/*.png), taken by the browser tests; `make test` never writes them.
screenshots: install browser
	FARMSTEAD_SCREENSHOTS_DIR=$(CURDIR)/docs/images $(BIN)/python -m pytest tests/web/test_browser.py tests/web/test_browser_wrangler.py $(PYTEST_ARGS)

coverage: install
	$(BIN)/farmstead coverage

clean:
	rm -rf $(VENV) build *.egg-info src/*.egg-info .pytest_cache node_modules $(VENDOR)

# Benchmarks of a real server on loopback, ~12 minutes on a quiet machine (the long ones run by name:
# docs/benchmarks.md, "What `make bench` runs"); not part of `make test`.
bench: install
	$(BIN)/python -m bench all

# The end-to-end benchmark against a Slurm array job too: installs and starts a one-node Slurm (root).
bench-slurm: install
	./tools/slurm_local.sh
	$(BIN)/python -m bench end_to_end --slurm

# Two commands for a fresh machine: `make run` and `make test`. Both set up everything.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench lint status clean browser

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/ioc up

# The layer contracts, ruff and mypy run first: a forbidden import fails the test command.
# Two workers (pytest-xdist), whole files each so module fixtures are built once; each worker
# has its own PostgreSQL database (tests/conftest.py).
test: lint browser
	$(BIN)/python -m pytest -q -n 2 --dist loadfile

# tests/browser drive Debian's chromium: installed here when missing and we are root with
# apt; otherwise those tests skip and say why.
browser:
	@test -x /usr/bin/chromium || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null && \
	  (apt-get update -qq && apt-get install -y -qq chromium) || \
	  echo "chromium missing and not installable here: tests/browser will skip"; }

bench: $(STAMP)
	$(BIN)/ioc bench --events 200000 --json

lint: $(STAMP)
	$(BIN)/ruff check ioc streams connectors pages tests app.py scripts
	$(BIN)/lint-imports
	$(BIN)/mypy

status: $(STAMP)
	$(BIN)/ioc status --json

clean:
	rm -rf $(VENV) var/*.db var/logs

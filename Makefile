# Recon Board: `make run` brings the whole system up, `make test` runs every check.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed

.PHONY: install browser run test lint typecheck pytest bench schemas text clean

$(INSTALLED): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(INSTALLED)

install: $(INSTALLED)

run: install  ## start Postgres, NATS and the four services; Ctrl-C stops everything
	$(BIN)/recon-dev

test: lint typecheck pytest  ## ruff, mypy and pytest against real Postgres and NATS

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy shared/recon bench services/board-api/board_api services/ingest-sms/ingest_sms \
		services/inventory-sync/inventory_sync services/notifier/notifier

# The browser tests drive Debian's chromium through Playwright (never `playwright install`).
# Without root or apt they skip, saying why.
CHROMIUM := /usr/bin/chromium

browser:
	@test -x $(CHROMIUM) || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
		apt-get install -y -qq --no-install-recommends chromium >/dev/null) \
		|| echo "chromium could not be installed: the browser tests will skip"

pytest: install browser
	$(BIN)/pytest

bench: install  ## print figures and write bench-results.json
	$(BIN)/python -m bench

schemas: install  ## regenerate the committed JSON Schemas of the events
	$(BIN)/python -m recon.events.schemas

text: install  ## send a signed text to the local webhook: make text FROM=+15125550101 BODY="2231 brakes done"
	$(BIN)/recon-text --from "$(FROM)" --body "$(BODY)" $(if $(TO),--to "$(TO)",)

clean:
	rm -rf .local .pytest_cache .mypy_cache .ruff_cache

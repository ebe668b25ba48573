# ClearCourse. `make run` serves the demo on SQLite; `make test` runs the whole suite.
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)
PYTEST_ARGS ?=
# Tests are independent: pytest-xdist spreads them over the machine's cores (PYTEST_XDIST= for one process).
PYTEST_XDIST ?= -n auto

.PHONY: run test lint typecheck ci demo messages bench-quick clean browser-deps

$(PY):
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(PY)
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m clearcourse migrate --noinput
	$(PY) -m clearcourse demo --if-empty
	$(PY) -m clearcourse serve --addr 127.0.0.1:8000 --no-migrate

browser-deps:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

test: $(STAMP) browser-deps
	$(PY) -m pytest $(PYTEST_XDIST) $(PYTEST_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check clearcourse tests bench
	$(VENV)/bin/lint-imports

typecheck: $(STAMP)
	$(VENV)/bin/mypy clearcourse

messages: $(STAMP)
	cd clearcourse && ../$(PY) -m django makemessages -l de --no-location --settings=clearcourse.settings && ../$(PY) -m django compilemessages --settings=clearcourse.settings

bench-quick: $(STAMP)
	$(PY) bench/quick.py

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache

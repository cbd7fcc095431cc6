# The two commands: `make demo` and `make test`. Both build .venv when it is
# missing or older than pyproject.toml, using only the standard venv and pip.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXTRAS ?= dev,distributed,report

.PHONY: demo test lint typecheck unit fuzz docs bench clean install chromium

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "kaizen-agentic needs Python >= 3.11; set PYTHON=python3.x")'
	@if ! $(BIN)/python -c 'import sys' >/dev/null 2>&1; then rm -rf $(VENV) && $(PYTHON) -m venv $(VENV); fi
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[$(EXTRAS)]'
	@# an editable install compiles nothing, and with PYTHONDONTWRITEBYTECODE set every
	@# command would compile the package again (~50 ms); pip compiles a wheel install
	$(BIN)/python -m compileall -q src
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/kaizen-agentic demo --dir demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

typecheck: $(STAMP)
	$(BIN)/mypy --strict src

# The report's browser test needs Chromium; CI is a fresh Debian machine as root.
chromium:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null 2>&1; then \
		if [ "$$(id -u)" = 0 ]; then apt-get update -qq && apt-get install -y -qq chromium; \
		else echo "note: install chromium (apt-get install chromium) to run the browser test"; fi; \
	fi

unit: $(STAMP) chromium
	$(BIN)/python -m pytest -q -n 2 --dist loadgroup

test: lint typecheck unit

# the fuzz suite at a depth beyond CI's (CI=true runs 2,000 examples a target)
fuzz: $(STAMP)
	KAIZEN_FUZZ=$${KAIZEN_FUZZ:-10000} $(BIN)/python -m pytest -q -n 2 tests/fuzz

docs: $(STAMP)
	$(BIN)/python -m kaizen_agentic.cli._reference > docs/cli.md
	$(BIN)/python -c 'from kaizen_agentic.config import reference_markdown as r; print(r(), end="")' > docs/configuration.md

bench: $(STAMP)
	@for script in benchmarks/*.py; do echo "== $$script"; $(BIN)/python $$script || exit 1; done

clean:
	rm -rf $(VENV) demo .mypy_cache .ruff_cache .pytest_cache

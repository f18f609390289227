# Two commands do everything from a fresh clone: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := COURSE_ENV=$${COURSE_ENV:-development} $(BIN)/flask --app course

.PHONY: run test lint typecheck check install migrate demo clean-venv

$(BIN)/python:
	$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python 3.11 or newer is needed")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

# Reinstall only when the dependencies change.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

migrate: install
	$(FLASK) db upgrade

demo: migrate
	$(FLASK) demo --if-new

run: demo
	@echo "Serving on http://127.0.0.1:5000 (stop with Ctrl-C). Demo accounts are listed in README.md."
	$(FLASK) run --host 127.0.0.1 --port 5000 --no-debugger --no-reload

check: install
	$(FLASK) check

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/bandit -q -r course

typecheck: install
	$(BIN)/mypy

test: lint typecheck
	$(BIN)/pytest

clean-venv:
	rm -rf $(VENV)

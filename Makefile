# Two commands do everything from a fresh clone: `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
FLASK := COURSE_ENV=$${COURSE_ENV:-development} $(BIN)/flask --app course

.PHONY: run test lint typecheck check install migrate demo clean-venv screenshots bench bench-concurrency security-scan \
	deploy-test

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

# PNGs of the main pages at phone and desktop size in docs/screenshots/ (needs /usr/bin/chromium).
screenshots: install
	$(BIN)/python tests/browser/screenshots.py

# Clinic-scale benchmark: seeds 1,200 patients, serves with gunicorn (2 workers), loads each page with wrk.
# Set BENCH_DATABASE_URL to a PostgreSQL database it may empty to measure PostgreSQL too.
bench: install
	$(BIN)/python bench/run.py

# 50 patients saving check-ins and journal entries at once against gunicorn; every row is checked.
bench-concurrency: install
	$(BIN)/python bench/concurrency.py

# deploy/ rehearsed on loopback: Caddy (internal CA) in front of two gunicorn servers sharing a PostgreSQL
# cluster and a Redis it starts itself; needs Debian's caddy, redis-server and postgresql. About a minute.
deploy-test: install
	$(BIN)/python tests/deploy/rehearsal.py

# wapiti (Debian package) against demo data served by gunicorn, as a visitor, a patient and a therapist.
security-scan: install
	$(BIN)/python bench/security_scan.py

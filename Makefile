# Two entry points for a fresh Debian machine (both safe to run twice):
#   make demo   install everything, then process the bundled sample submissions through the store and Prefect
#   make test   install everything, then run linters and the test suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
APT_PACKAGES := tesseract-ocr tesseract-ocr-chi-sim python3-venv
SAMPLES := $(sort $(wildcard sample_docs/submissions/*))

.PHONY: demo test lint unit system-deps setup bench samples clean-var

system-deps:
	@if ! command -v tesseract >/dev/null || ! tesseract --list-langs 2>/dev/null | grep -qx chi_sim \
	   || ! python3 -c 'import venv, ensurepip' 2>/dev/null; then \
	  echo "installing Debian packages: $(APT_PACKAGES)"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $(APT_PACKAGES) >/dev/null; \
	fi

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip >/dev/null
	$(VENV)/bin/pip install -q -e ".[test]"
	touch $(STAMP)

setup: system-deps $(STAMP)

demo: setup
	$(VENV)/bin/evidence process $(addprefix --submission ,$(SAMPLES))

lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy pipeline extractors validators flows evidence

unit: setup
	$(PY) -m pytest -q

test: lint unit

bench: setup
	$(PY) bench/accuracy.py

samples: setup
	$(PY) sample_docs/generate.py

clean-var:
	rm -rf var

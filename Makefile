# Two entry points for a fresh Debian machine (both safe to run twice):
#   make demo   install everything, process and review the sample submissions, then serve the reviewer UI
#   make test   install everything, then run linters and the test suite
SHELL := /bin/bash
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
SUDO := $(shell [ "$$(id -u)" -eq 0 ] || echo sudo)
# chromium and a CJK font are for the reviewer UI's browser tests and screenshots.
APT_PACKAGES := tesseract-ocr tesseract-ocr-chi-sim python3-venv chromium fonts-wqy-zenhei
SAMPLES := $(sort $(wildcard sample_docs/submissions/*))

.PHONY: demo demo-batch test lint unit system-deps setup bench samples clean-var

system-deps:
	@missing=""; for p in $(APT_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && $(SUDO) env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing >/dev/null; \
	fi

$(STAMP): pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install -q --upgrade pip >/dev/null
	$(VENV)/bin/pip install -q -e ".[test,rapidocr]"
	$(VENV)/bin/pip install -q --no-deps "rapidocr-onnxruntime==1.4.4"
	touch $(STAMP)

setup: system-deps $(STAMP)

demo: demo-batch
	$(VENV)/bin/evidence serve

demo-batch: setup
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

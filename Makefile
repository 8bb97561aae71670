# One command per developer task, the same locally and in CI (.ci/run calls `make test`).
#
#   make demo [PORT=8000 HOST=127.0.0.1]   start the demo city region at http://HOST:PORT
#   make test [PYTEST_ARGS='-k index'] [WORKERS=auto]   full suite on SQLite + PostgreSQL, browser tests in
#                                          Chromium, in parallel (WORKERS=0: in one process)
#   make lock                              write requirements.lock again from pyproject.toml (after editing
#                                          its dependencies; keeps the locked versions that still fit)
#   make lint | make bench | make clean | make distclean

SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV        := .venv
PY          := $(VENV)/bin/python
PORT        ?= 8000
HOST        ?= 127.0.0.1
PYTEST_ARGS ?=
WORKERS     ?= auto

# Python writes the byte code of each module it imports, once, into .venv (bootstrap installs the packages
# without it: compiling all ~14,000 modules takes a minute, the suite and the app import a third of them).
# Where PYTHONDONTWRITEBYTECODE is set (CI images set it) every process would compile everything it imports
# again: a CLI start took 8.7 s of CPU instead of 2.5 s. The commands make runs go without it.
unexport PYTHONDONTWRITEBYTECODE

.PHONY: help bootstrap system-deps demo test lock lint bench clean distclean

help:
	@sed -n 's/^#   //p' $(MAKEFILE_LIST)

# Cheap when nothing changed: bootstrap skips pip when its stamp is newer than pyproject.toml, and
# install-system-deps does nothing when the packages are there.
bootstrap:
	@bash scripts/bootstrap

system-deps:
	@bash scripts/install-system-deps

# The versions bootstrap installs: every package for Python >= 3.11 on every platform, with hashes. uv keeps
# the versions already in the file when they still satisfy pyproject.toml (--upgrade to move them all).
lock: bootstrap
	$(VENV)/bin/uv pip compile pyproject.toml --extra test --extra spark --universal --python-version 3.11 \
		--generate-hashes --quiet -o requirements.lock

demo: bootstrap
	$(VENV)/bin/bettercities demo --workspace .workspace/demo --host $(HOST) --port $(PORT)

# --no-loadscope-reorder: the files go out in the order tests/conftest.py gives them (slow files first); xdist
# would otherwise sort them by their number of tests alone.
# pytest exits 5 when it collects no test (an empty suite, or PYTEST_ARGS deselecting everything). That is
# handled here, in one place, so `make test` and CI agree on it.
test: bootstrap system-deps
	@status=0; $(PY) -m pytest -n $(WORKERS) --dist loadfile --no-loadscope-reorder --durations=15 $(PYTEST_ARGS) || status=$$?; \
	if [ $$status -eq 5 ]; then echo "make test: pytest collected no tests (exit 5); not a failure"; status=0; fi; \
	exit $$status

# lint-imports checks the architecture contracts in pyproject.toml (docs/architecture.md, "Rules").
lint: bootstrap
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	$(VENV)/bin/lint-imports --no-cache --no-logo

bench: bootstrap
	$(PY) benchmarks/run.py

# Generated files only; the venv survives (it takes minutes to rebuild), `make distclean` removes it too.
clean:
	rm -rf .workspace build dist .pytest_cache .mypy_cache .ruff_cache benchmarks/out
	find . -path ./$(VENV) -prune -o \( -name __pycache__ -o -name '*.egg-info' \) -type d -print0 \
		| xargs -0 rm -rf

distclean: clean
	rm -rf $(VENV)

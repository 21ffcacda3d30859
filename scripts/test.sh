#!/usr/bin/env bash
# Sets everything up, then runs the whole suite: lint, types, unit, interop and browser tests.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
.venv/bin/ruff check comlink_py tests benchmarks examples
.venv/bin/ruff format --check comlink_py tests benchmarks examples
.venv/bin/mypy
.venv/bin/mkdocs build --strict  # the docs site, into site/: any warning fails the run
.venv/bin/python -m pytest "$@"

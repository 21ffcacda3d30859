#!/usr/bin/env bash
# Sets up, then runs the Node demo: JS Comlink calls Python exposed in a Pyodide worker thread, and
# Python calls back into JS through a Comlink.proxy callback.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
node examples/node_demo/main.mjs

#!/usr/bin/env bash
# Installs everything the project needs; safe to run again. Usage: scripts/setup.sh [--browser]
set -euo pipefail
cd "$(dirname "$0")/.."

if [ "${1:-}" = "--browser" ] && ! [ -x /usr/bin/chromium ]; then
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq chromium >/dev/null
fi

if ! [ -x .venv/bin/python ]; then
    python3 -m venv .venv
    .venv/bin/pip install -q --upgrade pip
fi
# Reinstall only when pyproject.toml changed; keep pip's build chatter in a log unless it fails.
if ! cmp -s pyproject.toml .venv/.installed-pyproject.toml 2>/dev/null; then
    if ! .venv/bin/pip install -q -e '.[dev]' >.venv/pip.log 2>&1; then
        cat .venv/pip.log
        exit 1
    fi
    cp pyproject.toml .venv/.installed-pyproject.toml
fi

# npm ci wipes node_modules; only run it when the lock file changed since the last install.
if ! cmp -s package-lock.json node_modules/.installed-lock.json 2>/dev/null; then
    npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.installed-lock.json
fi

#!/bin/sh
# Installs the npm packages the integration tests run (node-vault, for
# tests/integration/test_node_vault.py) into tests/integration/node, exactly
# as its package-lock.json records them. Runs `npm ci` only when
# node_modules is missing or older than the lock file, so a second
# `make test` needs no network. node and npm come from
# scripts/install-deps.sh test.
set -eu

dir="$(cd "$(dirname "$0")/.." && pwd)/tests/integration/node"
lock="$dir/package-lock.json"
# npm ci writes this copy of the lock last; its presence and age tell a
# finished install from a missing, interrupted or outdated one.
stamp="$dir/node_modules/.package-lock.json"

if [ -f "$stamp" ] && ! [ "$lock" -nt "$stamp" ]; then
	exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
	echo "npm is missing; run: sh scripts/install-deps.sh test" >&2
	exit 1
fi
echo "installing node-vault for the integration tests (npm ci)"
cd "$dir"
npm ci --no-audit --no-fund

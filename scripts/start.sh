#!/usr/bin/env bash
# Runs the server from a fresh checkout: bootstrap, then `chatauth serve` with whatever options are given
# (none: development mode on 127.0.0.1:8080 with data under ./.chatauth).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
exec node packages/cli/dist/chatauth.js serve "$@"

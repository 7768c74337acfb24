#!/usr/bin/env bash
# Runs the server from a fresh checkout: bootstrap, then `chatauth serve` with whatever options are given
# (none: development mode on 127.0.0.1:8080 with data under ./.chatauth).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# V8's young generation capped at 4 MB a semi-space: about 20 MB less memory, measured (the CLI's
# src/internal/serverV8Flags.ts says how); a --max-semi-space-size of your own in NODE_OPTIONS comes later and wins.
NODE_OPTIONS="--max-semi-space-size=4 ${NODE_OPTIONS:-}" exec node packages/cli/dist/chatauth.js serve "$@"

#!/usr/bin/env bash
# Runs the server from a fresh checkout: bootstrap, then `chatauth serve` with whatever options are given
# (none: development mode on 127.0.0.1:8080 with data under ./.chatauth).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
# The executable holds V8's heap small itself (the CLI's src/internal/serverHeap.ts says how and why).
exec node packages/cli/dist/chatauth.js serve "$@"

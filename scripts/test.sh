#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: bootstrap, then type-check, lint, unit/integration/end-to-end tests,
# and the packed-install check of the four packages.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export TURBO_TELEMETRY_DISABLED=1
pnpm exec turbo run typecheck --output-logs=errors-only
pnpm exec eslint .
pnpm exec turbo run test --concurrency=1
if [ -f scripts/pack-check.sh ]; then bash scripts/pack-check.sh; fi

#!/usr/bin/env bash
# The whole test suite, from a fresh checkout: bootstrap, then type-check, lint, unit/integration/end-to-end tests,
# and the packed-install check of the four packages. Ends with one summary line: "tests: N passed, N failed".
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/bootstrap.sh
export TURBO_TELEMETRY_DISABLED=1
pnpm exec turbo run typecheck --output-logs=errors-only
pnpm exec eslint .

log=$(mktemp)
trap 'rm -f "$log"' EXIT
set +e
pnpm exec turbo run test --concurrency=1 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# vitest's "Tests  12 passed | 1 failed (13)" line of each package, without its colours.
counts=$(sed 's/\x1b\[[0-9;]*m//g' "$log" | grep -E '^\S+:test:\s+Tests\s' || true)
total() { echo "$counts" | awk -v word="$1" '{ for (i = 2; i <= NF; i++) if ($i == word) s += $(i - 1) } END { print s + 0 }'; }
passed=$(total passed)
failed=$(total failed)
if [ "$status" -ne 0 ]; then
  echo "tests: $passed passed, $failed failed"
  exit "$status"
fi
bash scripts/pack-check.sh
echo "tests: $passed passed, $failed failed"

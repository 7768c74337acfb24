#!/usr/bin/env bash
# Brings a fresh checkout to a built state on a machine with only Node.js 20 (>= 20.19):
# pnpm 12.4.2 (exactly: see the root package.json), the locked dependencies, and every package built.
set -euo pipefail
cd "$(dirname "$0")/.."

export TURBO_TELEMETRY_DISABLED=1
# better-sqlite3 compiles from source where no prebuilt binary can be downloaded; node-gyp then needs Node's
# headers, which Debian's nodejs ships under /usr/include/node (pnpm reads this only from the environment).
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then
  export npm_config_nodedir=/usr
fi

want=$(node -p 'require("./package.json").packageManager.split("@")[1]')
if ! command -v pnpm >/dev/null 2>&1 || [ "$(pnpm --version 2>/dev/null)" != "$want" ]; then
  echo "bootstrap: installing pnpm@$want" >&2
  npm install --global --loglevel=error "pnpm@$want" >&2
fi

pnpm install --frozen-lockfile --loglevel warn >&2
pnpm exec turbo run build --output-logs=errors-only >&2

# pnpm links the workspace's `chatauth` into node_modules/.bin only if packages/cli/dist/chatauth.js exists when it
# installs, and in a fresh clone that file is built afterwards: link it here, so that `npx chatauth` runs the CLI
# from anywhere in the clone (and from examples/), with nothing printed around its output.
for bin_dir in node_modules/.bin examples/node_modules/.bin; do
  # Ours is a symbolic link (pnpm's own is a script): renewed, in case an older clone's points elsewhere.
  if [ -d "$(dirname "$bin_dir")" ] && { [ ! -e "$bin_dir/chatauth" ] || [ -L "$bin_dir/chatauth" ]; }; then
    mkdir -p "$bin_dir"
    ln -sfn "$(realpath --relative-to="$bin_dir" packages/cli/dist/chatauth.js)" "$bin_dir/chatauth"
  fi
done

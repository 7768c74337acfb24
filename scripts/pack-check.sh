#!/usr/bin/env bash
# Proves the packages work as published: `pnpm pack` each one (workspace and catalog ranges become real versions),
# install the four tarballs together into a fresh npm project, and use them from there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
# shellcheck source=scripts/prebuilds.sh
source scripts/prebuilds.sh

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bash scripts/pack.sh "$work" >/dev/null

cd "$work"
cat > package.json <<'JSON'
{
  "name": "chatauth-pack-check",
  "private": true,
  "type": "module"
}
JSON
# --prefer-offline: packages already in npm's cache are not fetched again (their integrity is still checked).
npm_config_better_sqlite3_local_prebuilds="$prebuild_cache" npm install --no-audit --no-fund --prefer-offline --loglevel=error \
  ./chatauth-core-*.tgz ./chatauth-client-*.tgz ./chatauth-server-*.tgz ./chatauth-cli-*.tgz
save_prebuild node_modules/better-sqlite3

node --input-type=module -e '
const core = await import("@chatauth/core")
const client = await import("@chatauth/client")
const server = await import("@chatauth/server")
const mediaList = await import("@chatauth/core/MediaList")
if (typeof core.ChatAuthenticate.decodeRequest !== "function") throw new Error("core: decodeRequest missing")
if (typeof client.createChatAuthClient !== "function") throw new Error("client: createChatAuthClient missing")
if (typeof server.ChatAuthServer.start !== "function") throw new Error("server: ChatAuthServer.start missing")
if (mediaList.encode(mediaList.decode("CHAT;VIDEO:NO_CAMERA").right) !== "CHAT;VIDEO:NO_CAMERA") throw new Error("core: mediaList")
// better-sqlite3 loads, and its binary works.
const Database = (await import("better-sqlite3")).default
if (new Database(":memory:").prepare("select 41 + 1 as n").get().n !== 42) throw new Error("better-sqlite3")
console.log("pack-check: @chatauth/core, @chatauth/client and @chatauth/server import from their tarballs")
'
npx --no-install chatauth --help >/dev/null
test "$(npx --no-install chatauth medialist format '{"channels":[{"channel":"CHAT","errors":[]}]}')" = CHAT
echo "pack-check: npx chatauth runs from the tarball"
cd "$root"

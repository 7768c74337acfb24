#!/usr/bin/env bash
# Proves the packages work as published: `pnpm pack` each one (workspace and catalog ranges become real versions),
# install the four tarballs together into a fresh npm project, and use them from there.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
for pkg in core client server cli; do
  (cd "packages/$pkg" && pnpm pack --pack-destination "$work" --loglevel warn >/dev/null)
done

cd "$work"
cat > package.json <<'JSON'
{
  "name": "chatauth-pack-check",
  "private": true,
  "type": "module",
  "allowScripts": { "better-sqlite3": true }
}
JSON
npm install --no-audit --no-fund --loglevel=error ./chatauth-core-*.tgz ./chatauth-client-*.tgz ./chatauth-server-*.tgz ./chatauth-cli-*.tgz

node --input-type=module -e '
const core = await import("@chatauth/core")
const client = await import("@chatauth/client")
const server = await import("@chatauth/server")
const mediaList = await import("@chatauth/core/MediaList")
if (typeof core.ChatAuthenticate.decodeRequest !== "function") throw new Error("core: decodeRequest missing")
if (typeof client.createChatAuthClient !== "function") throw new Error("client: createChatAuthClient missing")
if (typeof server.ChatAuthServer.start !== "function") throw new Error("server: ChatAuthServer.start missing")
if (mediaList.encode(mediaList.decode("CHAT;VIDEO:NO_CAMERA").right) !== "CHAT;VIDEO:NO_CAMERA") throw new Error("core: mediaList")
console.log("pack-check: @chatauth/core, @chatauth/client and @chatauth/server import from their tarballs")
'
npx --no-install chatauth --help >/dev/null
npx --no-install chatauth medialist parse "CHAT:NO_KEYBOARD" >/dev/null
echo "pack-check: npx chatauth --help runs from the tarball"
cd "$root"

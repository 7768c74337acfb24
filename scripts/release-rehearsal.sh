#!/usr/bin/env bash
# Rehearses a release end to end, without touching this checkout or the real registry:
#   1. copies the repository (its files and the packages' builds) to a scratch directory;
#   2. runs `changeset version` there, as a release would (with a patch changeset of its own for the four packages
#      when none is pending, so that there is always something to release);
#   3. starts a throwaway registry (verdaccio) on 127.0.0.1: @chatauth/* live only there, everything else comes from
#      the npm registry through it;
#   4. publishes the four packages to it with `changeset publish`, as `pnpm release` does;
#   5. installs @chatauth/cli and @chatauth/core at their new versions into a fresh npm project from that registry,
#      and checks there that `npx chatauth --version` prints the released version and that a token issued by core's
#      TokenIssuer verifies with `chatauth token verify`;
#   6. stops the registry and removes everything it made, however it ends.
# Build first (scripts/bootstrap.sh). Verdaccio is installed once per machine, under the cache directory, where it
# also keeps what it proxies from the npm registry between runs (never @chatauth/*, which live only for one run);
# runs on one machine take turns.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
if [ -z "${npm_config_nodedir:-}" ] && [ -f /usr/include/node/node.h ]; then export npm_config_nodedir=/usr; fi
# shellcheck source=scripts/prebuilds.sh
source scripts/prebuilds.sh
say() { echo "release-rehearsal: [${SECONDS} s] $*"; }

for pkg in core client server cli; do
  [ -d "packages/$pkg/dist" ] || { say "packages/$pkg is not built: run bash scripts/bootstrap.sh first" >&2; exit 1; }
done

tool_cache="${CHATAUTH_TOOL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chatauth}"
mkdir -p "$tool_cache"
exec 9>"$tool_cache/release-rehearsal.lock"
flock 9
storage="$tool_cache/verdaccio-storage"

scratch=$(mktemp -d)
registry_pid=""
cleanup() {
  if [ -n "$registry_pid" ]; then
    kill "$registry_pid" 2>/dev/null || true
    wait "$registry_pid" 2>/dev/null || true
  fi
  rm -rf "$scratch" "$storage/@chatauth"
}
trap cleanup EXIT

# 1. The repository as a clone would have it (tracked and new files, not ignored ones), plus the builds.
repo="$scratch/repo"
mkdir -p "$repo"
git ls-files -z --cached --others --exclude-standard | while IFS= read -r -d '' file; do
  [ -e "$file" ] && printf '%s\0' "$file"
done | tar -c --null -T - -f - | tar -x -C "$repo"
for pkg in core client server cli; do cp -R "packages/$pkg/dist" "$repo/packages/$pkg/dist"; done
cd "$repo"
git init -q && git add -A && git -c user.name=rehearsal -c user.email=rehearsal@localhost commit -qm "release rehearsal"

# 2. Versions and changelogs.
if ! ls .changeset/*.md 2>/dev/null | grep -v '/README.md$' >/dev/null; then
  printf -- '---\n"@chatauth/core": patch\n"@chatauth/client": patch\n"@chatauth/server": patch\n"@chatauth/cli": patch\n---\n\nRelease rehearsal.\n' \
    > .changeset/release-rehearsal.md
fi
"$root/node_modules/.bin/changeset" version >/dev/null
version_of() { node -p "require('./packages/$1/package.json').version"; }
cli_version=$(version_of cli)
core_version=$(version_of core)
for pkg in core client server cli; do
  grep -q "^## $(version_of "$pkg")\$" "packages/$pkg/CHANGELOG.md" || { say "no CHANGELOG entry for $pkg" >&2; exit 1; }
done
say "changeset version: core $core_version, client $(version_of client), server $(version_of server), cli $cli_version"
# `pnpm publish` turns workspace: ranges into versions by reading the installed workspace links: install them, from
# pnpm's store (no download; nothing to compile for publishing).
pnpm install --frozen-lockfile --offline --ignore-scripts --loglevel error >/dev/null
# The release's build (`pnpm release` builds, then publishes): the CLI's bundled executable carries the new versions.
TURBO_TELEMETRY_DISABLED=1 pnpm exec turbo run build --output-logs=errors-only >/dev/null

# 3. The registry. Verdaccio 6.8 runs on Node 20 once node-fetch is pinned to 2.7 (6.10 needs Node 22).
verdaccio_dir="$tool_cache/verdaccio-6.8.0"
if [ ! -x "$verdaccio_dir/node_modules/.bin/verdaccio" ]; then
  say "installing verdaccio 6.8.0 into $verdaccio_dir"
  mkdir -p "$verdaccio_dir"
  printf '{ "private": true, "dependencies": { "verdaccio": "6.8.0" }, "overrides": { "node-fetch": "2.7.0" } }\n' \
    > "$verdaccio_dir/package.json"
  (cd "$verdaccio_dir" && npm install --no-audit --no-fund --loglevel=error >/dev/null)
fi
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close() })')
registry="http://127.0.0.1:$port/"
upstream=$(npm config get registry)
rm -rf "$storage/@chatauth"
cat > "$scratch/verdaccio.yaml" <<YAML
storage: $storage
auth:
  htpasswd:
    file: $scratch/htpasswd
uplinks:
  npmjs:
    url: $upstream
    timeout: 60s
    maxage: 60m
packages:
  "@chatauth/*":
    access: \$all
    publish: \$authenticated
  "**":
    access: \$all
    publish: \$authenticated
    proxy: npmjs
log: { type: stdout, format: pretty, level: error }
YAML
"$verdaccio_dir/node_modules/.bin/verdaccio" --config "$scratch/verdaccio.yaml" --listen "127.0.0.1:$port" \
  > "$scratch/verdaccio.log" 2>&1 &
registry_pid=$!
for _ in $(seq 1 120); do
  curl -sf "${registry}-/ping" >/dev/null 2>&1 && break
  kill -0 "$registry_pid" 2>/dev/null || { cat "$scratch/verdaccio.log" >&2; say "verdaccio did not start" >&2; exit 1; }
  sleep 0.5
done
token=$(curl -sf -X PUT -H 'content-type: application/json' \
  -d '{"name":"rehearsal","password":"rehearsal-password"}' \
  "${registry}-/user/org.couchdb.user:rehearsal" | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).token')
npmrc="$scratch/npmrc"
printf 'registry=%s\n//127.0.0.1:%s/:_authToken=%s\n' "$registry" "$port" "$token" > "$npmrc"
export npm_config_userconfig="$npmrc" npm_config_registry="$registry"
say "registry on $registry"

# 4. Publish, as `pnpm release` does (the packages are built already).
"$root/node_modules/.bin/changeset" publish > "$scratch/publish.log" 2>&1 || { cat "$scratch/publish.log" >&2; exit 1; }
for pkg in core client server cli; do
  published=$(npm view "@chatauth/$pkg" version --registry "$registry")
  [ "$published" = "$(version_of "$pkg")" ] || { say "@chatauth/$pkg: published $published" >&2; exit 1; }
done
say "published @chatauth/core, client, server and cli"

# 5. A fresh project, from that registry.
app="$scratch/app"
mkdir -p "$app"
cd "$app"
printf '{ "name": "rehearsal-app", "private": true, "type": "module" }\n' > package.json
npm_config_better_sqlite3_local_prebuilds="$prebuild_cache" npm install --no-audit --no-fund --prefer-offline \
  --loglevel=error "@chatauth/cli@$cli_version" "@chatauth/core@$core_version" >/dev/null
save_prebuild node_modules/better-sqlite3
printed=$(npx --no-install chatauth --version)
[ "$printed" = "$cli_version" ] || { say "npx chatauth --version printed $printed, not $cli_version" >&2; exit 1; }
say "npx chatauth --version: $printed"
node --input-type=module -e '
import { KeyStore, TokenIssuer } from "@chatauth/core"
import { Effect, Layer } from "effect"
import { writeFileSync } from "node:fs"
const { jwks, jwt } = await Effect.runPromise(Effect.gen(function*() {
  const { jwt } = yield* (yield* TokenIssuer.TokenIssuer).issue({
    authUserName: "jane@example.com", domain: "chat.example.com", chatSiteName: "site-a"
  })
  return { jwt, jwks: yield* (yield* KeyStore.KeyStore).jwks }
}).pipe(Effect.provide(TokenIssuer.TokenIssuer.layer().pipe(Layer.provideMerge(KeyStore.KeyStore.layerGenerated())))))
writeFileSync("jwks.json", JSON.stringify(jwks))
writeFileSync("token.jwt", jwt)
'
npx --no-install chatauth token verify - --jwks jwks.json \
  --audience https://chat.example.com/engagement/api/consumer/site-a < token.jwt | grep -q '^VALID: ' \
  || { say "token verification failed" >&2; exit 1; }
say "a token issued by @chatauth/core@$core_version verifies with chatauth token verify"
cd "$root"
say "ok"

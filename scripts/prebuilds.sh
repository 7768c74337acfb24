# Sourced by the scripts that `npm install` the packed packages into a fresh project (pack-check, release rehearsal).
#
# better-sqlite3 (under @chatauth/server) has no prebuilt binary to download here, so its install script compiles it:
# about a minute on two cores, on every fresh install. Its installer, prebuild-install, first looks for the binary
# in a local directory (npm_config_better_sqlite3_local_prebuilds), named as the release asset it would download.
# That directory is a cache on this machine, keyed by version, Node ABI, platform and architecture: seeded from the
# workspace's own build (pnpm compiled it during the bootstrap) and completed after any install that had to compile a
# version not in it. npm still installs and runs better-sqlite3's install script; only the compile is reused.

prebuild_cache="${CHATAUTH_PREBUILD_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/chatauth/prebuilds}"
mkdir -p "$prebuild_cache"
# Given to `npm install` alone (npm itself warns about a configuration key it does not know):
#   npm_config_better_sqlite3_local_prebuilds="$prebuild_cache" npm install …

# save_prebuild DIR: DIR is an installed better-sqlite3 with its compiled binary; keep that binary in the cache.
save_prebuild() {
  local dir
  dir=$(cd "$1" && pwd)
  [ -f "$dir/build/Release/better_sqlite3.node" ] || return 0
  local name
  name=$(node -e '
    const { version } = require(process.argv[1] + "/package.json")
    const { modules } = process.versions
    console.log(`better-sqlite3-v${version}-node-v${modules}-${process.platform}-${process.arch}.tar.gz`)
  ' "$dir")
  if [ ! -f "$prebuild_cache/$name" ]; then
    tar -czf "$prebuild_cache/$name.$$" -C "$dir" build/Release/better_sqlite3.node
    mv "$prebuild_cache/$name.$$" "$prebuild_cache/$name"
  fi
}

# The workspace's own build, if this checkout has one.
for built in node_modules/.pnpm/better-sqlite3@*/node_modules/better-sqlite3; do
  [ -d "$built" ] && save_prebuild "$built"
done

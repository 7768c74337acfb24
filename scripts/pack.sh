#!/usr/bin/env bash
# Packs the four packages as they would be published (`pnpm pack`: workspace: and catalog: ranges become real
# versions) into DIR (default ./tarballs), and prints the tarballs' paths. Build first (scripts/bootstrap.sh).
# Until the first release, `npm install DIR/*.tgz` is how a project gets the packages.
set -euo pipefail
cd "$(dirname "$0")/.."
dest="${1:-tarballs}"
mkdir -p "$dest"
dest=$(cd "$dest" && pwd)
for pkg in core client server cli; do
  (cd "packages/$pkg" && pnpm pack --pack-destination "$dest" --loglevel warn >/dev/null)
done
ls "$dest"/chatauth-core-*.tgz "$dest"/chatauth-client-*.tgz "$dest"/chatauth-server-*.tgz "$dest"/chatauth-cli-*.tgz

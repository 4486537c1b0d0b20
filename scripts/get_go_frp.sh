#!/usr/bin/env bash
# Builds the reference Go frp binaries (test peers only, never shipped) into .cache/gofrp/<version>/.
# The module zip lacks the built dashboards (web/*/dist), so we copy the source, add placeholder
# dist folders and build with the module's own go.sum.
# Usage: scripts/get_go_frp.sh [version ...]   (default: v0.70.1 v0.62.1)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
versions=("$@")
[ ${#versions[@]} -gt 0 ] || versions=(v0.70.1 v0.62.1)
command -v go >/dev/null || { echo "get_go_frp: go is not installed" >&2; exit 1; }
for v in "${versions[@]}"; do
  out="$root/.cache/gofrp/$v"
  if [ -x "$out/frps" ] && [ -x "$out/frpc" ]; then echo "go frp $v: cached in $out"; continue; fi
  work=$(mktemp -d)
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && go mod init tmp >/dev/null 2>&1 && GOFLAGS=-mod=mod go mod download -json "github.com/fatedier/frp@$v" >"$work/dl.json")
  dir=$(sed -n 's/^\s*"Dir": "\(.*\)",$/\1/p' "$work/dl.json")
  [ -d "$dir" ] || { echo "get_go_frp: download of frp $v failed" >&2; exit 1; }
  cp -r "$dir" "$work/src" && chmod -R u+w "$work/src"
  for d in web/frps/dist web/frpc/dist; do mkdir -p "$work/src/$d" && echo '<!doctype html>' >"$work/src/$d/index.html"; done
  # Build next to the cache and move into place, so an interrupted build is never taken as cached.
  mkdir -p "$work/bin"
  (cd "$work/src" && CGO_ENABLED=0 go build -trimpath -o "$work/bin/" ./cmd/frps ./cmd/frpc)
  got=$("$work/bin/frps" -v)
  [ "v$got" = "$v" ] || { echo "get_go_frp: built frps reports version $got, expected $v" >&2; exit 1; }
  mkdir -p "$out"
  mv "$work/bin/frps" "$work/bin/frpc" "$out/"
  rm -rf "$work"
  trap - EXIT
  echo "go frp $v: built in $out"
done

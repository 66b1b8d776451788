#!/usr/bin/env bash
# Installs the real Weep CLI (Netflix's ConsoleMe client) into .rolecall/bin/weep when it is missing, so the
# Weep compatibility tests run against the unchanged upstream binary. Safe to run again.
#
# Why not `go install github.com/netflix/weep@v0.3.31`: that path asks the module proxy for the @latest
# list to check for deprecation, which some proxies/mirrors refuse (403), failing the whole install. A
# throw-away module that requires the exact version and builds the package needs no such lookup.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
WEEP_VERSION="${WEEP_VERSION:-0.3.31}"
dest="${WEEP_BIN:-$root/.rolecall/bin/weep}"

if [ -x "$dest" ] && "$dest" version 2>/dev/null | grep -q "weep $WEEP_VERSION"; then
  echo "weep $WEEP_VERSION already installed: $dest"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "install-weep: the Go toolchain (go) is needed to build weep; install Go 1.17 or newer" >&2
  exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cd "$work"
go mod init weepbuild >/dev/null 2>&1
cat >tools.go <<'EOF'
//go:build tools

package tools

import _ "github.com/netflix/weep"
EOF
go mod edit -require="github.com/netflix/weep@v$WEEP_VERSION"
go mod tidy >/dev/null 2>&1 || go mod tidy

# Release builds stamp the version through this variable; stamp it too when the module has it, so the
# User-Agent reads `weep/<version>` as it does for users of the released binaries.
ldflags=""
module_dir="$(go list -m -f '{{.Dir}}' github.com/netflix/weep)"
if grep -qE '^\s*Version\s+string' "$module_dir/pkg/metadata/version.go" 2>/dev/null; then
  ldflags="-X github.com/netflix/weep/pkg/metadata.Version=$WEEP_VERSION"
fi

mkdir -p "$(dirname "$dest")"
echo "building weep $WEEP_VERSION into $dest (the first build downloads its modules and takes a few minutes)"
CGO_ENABLED=0 go build -buildvcs=false -ldflags "$ldflags" -o "$dest.tmp" github.com/netflix/weep
mv "$dest.tmp" "$dest"
echo "weep ready: $("$dest" version 2>/dev/null | head -1) at $dest"

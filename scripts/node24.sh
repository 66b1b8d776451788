#!/usr/bin/env bash
# Runs a command line on Node.js 22 or newer (the project's engines), provisioning Node.js 24 LTS first when
# the `node` on PATH is older — the root npm scripts go through it, so `npm test` and `npm run demo` work
# unchanged on a machine whose own Node is 20:
#
#   bash scripts/node24.sh 'turbo run build && vitest run' --project unit
#
# The first argument is a shell command line and the rest are appended to it, each quoted: what npm does with
# `npm run <script> -- <args>`, so a root script hands its whole line over and extra arguments still reach it.
#
# Node 24 comes from the npm registry's node-<os>-<arch> package, which carries the binary itself (no install
# script, so npm's handling of those does not matter); bin/node is unpacked into .rolecall/node once and put
# first on PATH. `node`, npm, every `#!/usr/bin/env node` tool (turbo, vitest, tsc, eslint) and whatever they
# spawn with process.execPath (the services) then run on it. A later run only asks that binary its version.
# ROLECALL_NODE_VERSION picks another release line or an exact version (default 24); ROLECALL_NODE_DIR moves
# the install.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${ROLECALL_NODE_DIR:-$root/.rolecall/node}"
version_spec="${ROLECALL_NODE_VERSION:-24}"
min_major=22

if [ $# -eq 0 ]; then
  echo "usage: bash scripts/node24.sh '<command line>' [argument…]" >&2
  exit 2
fi

fail() {
  echo "node24: $1" >&2
  exit 1
}

# The version a node binary reports (24.22.3), or nothing when it is absent or does not run.
version_of() {
  local v
  v="$("$1" -v 2>/dev/null)" || return 0
  v="${v#v}"
  case "$v" in [0-9]*.[0-9]*.[0-9]*) echo "$v" ;; esac
}

new_enough() {
  local v
  v="$(version_of "$1")"
  [ -n "$v" ] && [ "${v%%.*}" -ge "$min_major" ]
}

# True when the provisioned binary runs and is the requested line (24 → any 24.x) or exact version.
provisioned() {
  local v
  v="$(version_of "$dir/bin/node")"
  [ -n "$v" ] && { [ "$v" = "$version_spec" ] || [ "${v#"$version_spec".}" != "$v" ]; }
}

provision() {
  local os arch package tmp tarballs
  case "$(uname -s)" in
    Linux) os=linux ;;
    Darwin) os=darwin ;;
    *) fail "no Node.js package for $(uname -s); install Node.js $min_major or newer yourself" ;;
  esac
  case "$(uname -m)" in
    x86_64 | amd64) arch=x64 ;;
    aarch64 | arm64) arch=arm64 ;;
    *) fail "no Node.js package for $(uname -m); install Node.js $min_major or newer yourself" ;;
  esac
  package="node-$os-$arch@$version_spec"
  command -v npm >/dev/null 2>&1 || fail "npm is needed to install $package"
  echo "node24: the node on PATH is $(node -v 2>/dev/null || echo missing), older than $min_major; installing Node.js from the npm package $package into $dir" >&2
  mkdir -p "$(dirname "$dir")"
  # Unpacked beside the target and moved into place whole, so an interrupted run leaves no half binary behind.
  tmp="$(mktemp -d "$dir.XXXXXX")"
  chmod 755 "$tmp"
  if ! (cd "$tmp" && npm pack --loglevel=error "$package" >/dev/null); then
    rm -rf "$tmp"
    fail "npm pack $package failed"
  fi
  tarballs=("$tmp"/*.tgz)
  if ! tar -xzf "${tarballs[0]}" -C "$tmp" --strip-components=1 package/bin/node; then
    rm -rf "$tmp"
    fail "unpacking ${tarballs[0]} failed"
  fi
  rm -f "${tarballs[@]}"
  if ! new_enough "$tmp/bin/node"; then
    rm -rf "$tmp"
    fail "the node binary from $package does not run here"
  fi
  # Another run may have finished first; its copy is as good as ours.
  if provisioned; then
    rm -rf "$tmp"
  else
    rm -rf "$dir"
    mv "$tmp" "$dir"
  fi
  echo "node24: Node.js $(version_of "$dir/bin/node") installed at $dir/bin/node" >&2
}

current="$(command -v node 2>/dev/null || true)"
if [ -z "$current" ] || ! new_enough "$current"; then
  provisioned || provision
  export PATH="$dir/bin:$PATH"
  # npm sets NODE to the node it runs on; tools that read it must get the same binary as PATH.
  export NODE="$dir/bin/node"
fi

command_line="$1"
shift
for argument in "$@"; do command_line+=" $(printf '%q' "$argument")"; done
exec bash -c "$command_line"

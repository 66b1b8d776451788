#!/usr/bin/env bash
# Installs what Rolecall needs outside npm on a Debian/Ubuntu machine, only where it is missing:
# nats-server and redis-server from apt, and a virtualenv under .rolecall/venv that always holds schemathesis
# (the API fuzz test runs its `st`) and also moto (server mode) unless a moto_server is already on PATH, and
# Debian's chromium, which the browser tests drive (ROLECALL_WITH_CHROMIUM=0 skips it: the demo needs none).
# Used by `npm run demo` and by CI; safe to run again, and quick when everything is there.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.rolecall/venv"
MOTO_VERSION="${MOTO_VERSION:-5.2.1}"
SCHEMATHESIS_VERSION="${SCHEMATHESIS_VERSION:-4.32.5}"

need_apt=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need_apt+=(nats-server)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need_apt+=(redis-server)
have_venv() { [ -x "$venv/bin/python" ] && "$venv/bin/python" -c '' >/dev/null 2>&1; }
have_moto() { [ -x "$venv/bin/moto_server" ] || command -v moto_server >/dev/null 2>&1; }
# The version a venv package has, or nothing; reads the installed metadata without importing the package.
installed_version() {
  "$venv/bin/python" -c 'import sys, importlib.metadata as m; print(m.version(sys.argv[1]))' "$1" 2>/dev/null || true
}
# Debian/Ubuntu ship venv support (ensurepip) in a separate package.
if ! have_venv && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then need_apt+=(python3-venv); fi
if [ "${ROLECALL_WITH_CHROMIUM:-1}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then need_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt: ${need_apt[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! have_venv; then
  echo "creating the virtualenv $venv"
  mkdir -p "$root/.rolecall"
  # A venv left half-made by an interrupted run is replaced, not patched.
  rm -rf "$venv"
  python3 -m venv "$venv"
fi
# Everything missing goes into one pip call, so a first run resolves moto and schemathesis together.
need_pip=()
have_moto || need_pip+=("moto[server]==${MOTO_VERSION}")
[ "$(installed_version schemathesis)" = "$SCHEMATHESIS_VERSION" ] || need_pip+=("schemathesis==${SCHEMATHESIS_VERSION}")
if [ ${#need_pip[@]} -gt 0 ]; then
  echo "installing into $venv: ${need_pip[*]}"
  "$venv/bin/pip" install -q --disable-pip-version-check "${need_pip[@]}"
fi
moto_bin="$venv/bin/moto_server"; [ -x "$moto_bin" ] || moto_bin="$(command -v moto_server)"
echo "system dependencies ready: $(command -v nats-server || echo /usr/sbin/nats-server), $(command -v redis-server || echo /usr/bin/redis-server), $moto_bin, $venv/bin/st (schemathesis $SCHEMATHESIS_VERSION)$(command -v chromium >/dev/null 2>&1 && echo ", $(command -v chromium)")"

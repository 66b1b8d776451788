#!/usr/bin/env bash
# Installs what Rolecall needs outside npm on a Debian/Ubuntu machine, only where it is missing:
# nats-server and redis-server from apt, moto (server mode) in a virtualenv under .rolecall/venv unless a
# moto_server is already on PATH.
# Used by `npm run demo` and by CI; safe to run again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.rolecall/venv"
MOTO_VERSION="${MOTO_VERSION:-5.2.1}"

need_apt=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need_apt+=(nats-server)
command -v redis-server >/dev/null 2>&1 || [ -x /usr/bin/redis-server ] || need_apt+=(redis-server)
have_moto() { [ -x "$venv/bin/moto_server" ] || command -v moto_server >/dev/null 2>&1; }
# Debian/Ubuntu ship venv support (ensurepip) in a separate package.
if ! have_moto && ! python3 -c 'import ensurepip' >/dev/null 2>&1; then need_apt+=(python3-venv); fi
if [ "${ROLECALL_WITH_CHROMIUM:-0}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then need_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt: ${need_apt[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if ! have_moto; then
  echo "installing moto[server] into $venv"
  mkdir -p "$root/.rolecall"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==${MOTO_VERSION}"
fi
moto_bin="$venv/bin/moto_server"; [ -x "$moto_bin" ] || moto_bin="$(command -v moto_server)"
echo "system dependencies ready: $(command -v nats-server || echo /usr/sbin/nats-server), $(command -v redis-server || echo /usr/bin/redis-server), $moto_bin"

#!/usr/bin/env bash
# Installs what Rolecall needs outside npm on a Debian/Ubuntu machine, only where it is missing:
# nats-server and redis-server from apt, moto (server mode) in a virtualenv under .rolecall/venv.
# Used by `npm run demo` and by CI; safe to run again.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
venv="$root/.rolecall/venv"
MOTO_VERSION="${MOTO_VERSION:-5.2.1}"

need_apt=()
command -v nats-server >/dev/null 2>&1 || [ -x /usr/sbin/nats-server ] || need_apt+=(nats-server)
command -v redis-server >/dev/null 2>&1 || need_apt+=(redis-server)
if [ "${ROLECALL_WITH_CHROMIUM:-0}" = 1 ] && ! command -v chromium >/dev/null 2>&1; then need_apt+=(chromium); fi
if [ ${#need_apt[@]} -gt 0 ]; then
  echo "installing with apt: ${need_apt[*]}"
  sudo_cmd=""; [ "$(id -u)" -ne 0 ] && sudo_cmd="sudo"
  $sudo_cmd apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo_cmd apt-get install -y -qq "${need_apt[@]}" >/dev/null
fi

if [ ! -x "$venv/bin/moto_server" ]; then
  echo "installing moto[server] into $venv"
  mkdir -p "$root/.rolecall"
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q --disable-pip-version-check "moto[server]==${MOTO_VERSION}"
fi
echo "system dependencies ready: $(command -v nats-server || echo /usr/sbin/nats-server), $(command -v redis-server), $venv/bin/moto_server"

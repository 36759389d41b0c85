#!/usr/bin/env bash
# Installs the Debian packages sealroom needs, only those that are missing.
# Idempotent and silent when everything is present.
#   scripts/deps.sh          build and run needs
#   scripts/deps.sh --test   also test needs (chromium, firefox-esr, xvfb for its screen share,
#                            coturn, janus, node, npm,
#                            playwright-core, puppeteer-core)
set -euo pipefail

BUILD_PKGS=(build-essential pkg-config libuv1-dev libmicrohttpd-dev libwslay-dev
            libjansson-dev libsqlite3-dev libssl-dev libsrtp2-dev
            libvpx-dev libopus-dev libogg-dev libnss3-dev)
TEST_PKGS=(clang libclang-rt-14-dev chromium firefox-esr xvfb curl wrk bc coturn janus)

want=("${BUILD_PKGS[@]}")
if [ "${1:-}" = "--test" ]; then
  want+=("${TEST_PKGS[@]}")
  command -v node >/dev/null 2>&1 || want+=(nodejs)
  command -v npm  >/dev/null 2>&1 || want+=(npm)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "deps: missing packages: ${missing[*]}; run as root or: sudo apt-get install ${missing[*]}" >&2
    exit 1
  fi
  echo "deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # The tests and the benchmark run Janus from their own configuration
  # (bench/janus/start.sh); the package's own service is not wanted.
  if [[ " ${missing[*]} " == *" janus "* ]] && command -v systemctl >/dev/null 2>&1; then
    systemctl disable --now janus.service >/dev/null 2>&1 || true
  fi
fi

if [ "${1:-}" = "--test" ]; then
  # playwright-core drives Debian's chromium, puppeteer-core Debian's
  # firefox-esr; neither downloads a browser.
  here=$(cd "$(dirname "$0")/.." && pwd)
  if [ ! -d "$here/tests/node_modules/playwright-core" ] || [ ! -d "$here/tests/node_modules/puppeteer-core" ]; then
    echo "deps: installing playwright-core and puppeteer-core (npm)"
    (cd "$here/tests" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
  fi
fi

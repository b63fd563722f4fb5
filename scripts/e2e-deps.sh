#!/usr/bin/env bash
# What the browser tests need beyond the Python packages: Debian's Chromium headless shell at
# /usr/bin/chromium-headless-shell (the build Playwright runs headless; the full browser costs far more CPU).
# Playwright can't download its own browser builds here, so the tests drive this one.
# axe-core is vendored under tests/e2e/vendor (make vendor-axe), so nothing else is fetched.
# Also Debian's wrk, which tests/test_bench_web.py smoke-runs `make bench-web` with.
set -euo pipefail

missing=()
[ -x /usr/bin/chromium-headless-shell ] || missing+=(chromium-headless-shell)
command -v wrk >/dev/null || missing+=(wrk)
if [ ${#missing[@]} -eq 0 ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ERROR: ${missing[*]} missing. Install: sudo apt-get install ${missing[*]}" >&2
  exit 1
fi
echo "Installing Debian's ${missing[*]} for the tests..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
[ -x /usr/bin/chromium-headless-shell ] && /usr/bin/chromium-headless-shell --version

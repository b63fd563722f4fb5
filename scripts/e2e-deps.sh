#!/usr/bin/env bash
# What the browser tests need beyond the Python packages: Debian's Chromium headless shell at
# /usr/bin/chromium-headless-shell (the build Playwright runs headless; the full browser costs far more CPU).
# Playwright can't download its own browser builds here, so the tests drive this one.
# axe-core is vendored under tests/e2e/vendor (make vendor-axe), so nothing else is fetched.
set -euo pipefail

if [ -x /usr/bin/chromium-headless-shell ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ERROR: /usr/bin/chromium-headless-shell is missing. Install it: sudo apt-get install chromium-headless-shell" >&2
  exit 1
fi
echo "Installing Debian's chromium-headless-shell for the browser tests..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium-headless-shell >/dev/null
/usr/bin/chromium-headless-shell --version

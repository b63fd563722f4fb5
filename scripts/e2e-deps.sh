#!/usr/bin/env bash
# What the browser tests need beyond the Python packages: Debian's Chromium at /usr/bin/chromium.
# Playwright can't download its own browser builds here, so the tests drive this one.
# axe-core is vendored under tests/e2e/vendor (make vendor-axe), so nothing else is fetched.
set -euo pipefail

if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ERROR: /usr/bin/chromium is missing. Install it: sudo apt-get install chromium" >&2
  exit 1
fi
echo "Installing Debian's chromium for the browser tests..."
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null
/usr/bin/chromium --version

#!/usr/bin/env bash
# Debian's Chromium for the browser tests (Playwright's own browser download does not work offline),
# and a CJK font so pages, screenshots and charts show Chinese instead of boxes.
set -euo pipefail
if [ -x /usr/bin/chromium ] && fc-list 2>/dev/null | grep -qi "wenquanyi\|wqy\|noto sans cjk"; then
  exit 0
fi
SUDO=""
[ "$(id -u)" = 0 ] || SUDO="sudo"
echo "==> Installing Chromium and a CJK font (Debian packages chromium, chromium-driver, fonts-wqy-microhei)"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium chromium-driver fonts-wqy-microhei >/dev/null

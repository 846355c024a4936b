#!/usr/bin/env bash
# Installs what the browser tests need when it is missing: Debian's Chromium, a CJK font, a Java
# runtime for the Nu Html Checker, and the pinned npm packages (playwright-core, axe-core, vnu-jar).
set -euo pipefail
cd "$(dirname "$0")/.."
need=()
[ -x /usr/bin/chromium ] || need+=(chromium)
fc-list 2>/dev/null | grep -qi "WenQuanYi Micro Hei" || need+=(fonts-wqy-microhei)
command -v java >/dev/null 2>&1 || need+=(default-jre-headless)
command -v node >/dev/null 2>&1 || need+=(nodejs npm)
if [ ${#need[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  echo "installing ${need[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "${need[@]}" >/dev/null
fi
if [ ! -d tests/browser/node_modules/playwright-core ] || [ ! -d tests/browser/node_modules/vnu-jar ]; then
  (cd tests/browser && npm ci --no-audit --no-fund --silent)
fi
# The Open311 check runs a real GeoReport v2 client (georeport, PyPI) in its own virtualenv.
if [ ! -x tests/open311/.venv/bin/python ] || ! tests/open311/.venv/bin/python -c 'import georeport' 2>/dev/null; then
  python3 -m venv tests/open311/.venv 2>/dev/null || {
    sudo=""; [ "$(id -u)" -eq 0 ] || sudo=sudo
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq python3-venv >/dev/null
    python3 -m venv tests/open311/.venv
  }
  tests/open311/.venv/bin/pip install -q georeport==0.3.1
fi
# The CKAN API check runs a real CKAN client (ckanapi, PyPI) in its own virtualenv.
if [ ! -x tests/ckan/.venv/bin/python ] || ! tests/ckan/.venv/bin/python -c 'import ckanapi' 2>/dev/null; then
  python3 -m venv tests/ckan/.venv
  tests/ckan/.venv/bin/pip install -q ckanapi==4.8
fi
# The API conformance run uses schemathesis (PyPI), pinned, in its own virtualenv.
if [ ! -x tests/api/.venv/bin/schemathesis ]; then
  python3 -m venv tests/api/.venv
  tests/api/.venv/bin/pip install -q schemathesis==4.32.5
fi

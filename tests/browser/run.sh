#!/bin/sh
# tests/browser/run.sh -- the browser suite (issue 5): headless Debian
# Chromium driven by playwright-core against Drawbridge over HTTPS.
#
# Installs what is missing (node modules with npm ci / npm install, Debian's
# chromium with apt-get), builds drawbridge and drawbridgectl into $BUILD
# (default build) unless DRAWBRIDGE_BIN / DRAWBRIDGECTL_BIN are given, runs
# browser.test.js and ends with one line "browser: N passed, N failed".
set -u
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
BUILD=${BUILD:-build}

fail() {
	echo "browser: $*" >&2
	echo "browser: 0 passed, 1 failed"
	exit 1
}

command -v node >/dev/null 2>&1 || fail "node is not installed"
command -v redis-server >/dev/null 2>&1 || fail "redis-server is missing"
command -v openssl >/dev/null 2>&1 || fail "openssl is missing"

if [ ! -d "$here/node_modules/playwright-core" ]; then
	(cd "$here" && { npm ci --no-audit --no-fund >/dev/null 2>&1 ||
	    npm install --no-audit --no-fund >/dev/null 2>&1; }) ||
	    fail "npm could not install playwright-core"
fi

CHROMIUM=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$CHROMIUM" ]; then
	export DEBIAN_FRONTEND=noninteractive
	{ apt-get install -y -qq chromium >/dev/null 2>&1 ||
	    { apt-get update -qq >/dev/null 2>&1 &&
	    apt-get install -y -qq chromium >/dev/null 2>&1; }; } ||
	    fail "could not install Debian's chromium"
	[ -x "$CHROMIUM" ] || fail "no $CHROMIUM after installing chromium"
fi
export CHROMIUM

if [ -z "${DRAWBRIDGE_BIN:-}" ] || [ -z "${DRAWBRIDGECTL_BIN:-}" ]; then
	make -s -C "$root" BUILD="$BUILD" "$BUILD/drawbridge" \
	    "$BUILD/drawbridgectl" >&2 || fail "build failed"
	DRAWBRIDGE_BIN=${DRAWBRIDGE_BIN:-$root/$BUILD/drawbridge}
	DRAWBRIDGECTL_BIN=${DRAWBRIDGECTL_BIN:-$root/$BUILD/drawbridgectl}
fi
export DRAWBRIDGE_BIN DRAWBRIDGECTL_BIN

cd "$here" || exit 1
exec node browser.test.js

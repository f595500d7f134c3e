#!/bin/sh
# Install the Debian bookworm packages Drawbridge builds, tests and runs
# with -- only those missing.  Needs root (apt-get) when something is.
set -eu
PKGS="gcc make pkg-config libevent-dev libssl-dev libjwt-dev libhiredis-dev
libjansson-dev libcmocka-dev redis-server curl openssl ca-certificates
python3 python3-pytest python3-websockets python3-jwt python3-cryptography
procps iproute2"
[ "${1:-}" = "--extra" ] && PKGS="$PKGS clang-14 libclang-rt-14-dev wrk nginx-light haproxy"
# The browser tests need node and npm; use the machine's if it has them.
command -v node >/dev/null 2>&1 || PKGS="$PKGS nodejs"
command -v npm >/dev/null 2>&1 || PKGS="$PKGS npm"
missing=""
for p in $PKGS; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'ok installed' ||
	    missing="$missing $p"
done
[ -z "$missing" ] && exit 0
echo "deps: installing:$missing" >&2
if [ "$(id -u)" != 0 ]; then
	echo "deps: run as root (or install:$missing)" >&2
	exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $missing >/dev/null

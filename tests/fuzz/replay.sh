#!/bin/sh
# tests/fuzz/replay.sh -- `make test`: replay every fuzz corpus through its
# harness, built with gcc + ASan/UBSan (no libFuzzer needed).
# Usage: replay.sh [fuzz_target ...]   (default: all tests/fuzz/fuzz_*.c)
#
# Each harness names its sources in a "// DEPS:" line (and optional extra
# pkg-config packages in "// PKGS:"), see run.sh.  Binaries go to
# ${BUILD:-build-asan}/fuzz/replay_<target>.  Prints one line per target,
#   fuzz-replay <target>: N inputs ok
# and exits 1 if a build or a replay fails.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build-asan}
RCC=${REPLAY_CC:-gcc}
OUT=$BUILD/fuzz
PKG_STD="libevent openssl libjwt hiredis jansson"
mkdir -p "$OUT"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ $# -gt 0 ]; then
	targets="$*"
else
	targets=$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)
fi

hdr() {
	sed -n "1,10s,^// $2:[[:space:]]*,,p" "$1" | head -1
}

status=0
for t in $targets; do
	src=tests/fuzz/$t.c
	deps=$(hdr "$src" DEPS)
	pkgs=$(hdr "$src" PKGS)
	# shellcheck disable=SC2086
	pkgflags=$(pkg-config --cflags --libs $PKG_STD $pkgs 2>/dev/null)
	# shellcheck disable=SC2086
	if ! $RCC -std=c17 -D_GNU_SOURCE -I. -g -O1 -Wall -Wextra \
	    -fno-omit-frame-pointer -fsanitize=address,undefined \
	    -fno-sanitize-recover=all -o "$OUT/replay_$t" \
	    tests/fuzz/replay.c "$src" $deps $pkgflags \
	    >"$OUT/replay_$t.build.log" 2>&1; then
		cat "$OUT/replay_$t.build.log"
		echo "fuzz-replay $t: build failed"
		status=1
		continue
	fi
	corpus=tests/fuzz/corpus/$t
	[ -d "$corpus" ] || corpus=
	# shellcheck disable=SC2086
	if n=$("$OUT/replay_$t" $corpus 2>"$OUT/replay_$t.log"); then
		echo "fuzz-replay $t: $n inputs ok"
	else
		cat "$OUT/replay_$t.log"
		echo "fuzz-replay $t: FAILED"
		status=1
	fi
done
exit $status

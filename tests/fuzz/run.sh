#!/bin/sh
# tests/fuzz/run.sh -- `make fuzz`: build every tests/fuzz/fuzz_*.c with
# clang-14 libFuzzer + ASan/UBSan and run each for FUZZ_SECONDS (60) on its
# corpus.  Usage: run.sh [fuzz_target ...]   (default: all)
#
# A harness declares what it links in its first lines, so modules add
# harnesses without touching this script:
#   // DEPS: proxy/http1.c common/str.c common/log.c   (module sources)
#   // PKGS: libfoo                                     (extra pkg-config)
#   // DICT: tests/fuzz/http1.dict                      (optional dictionary)
# Seeds: tests/fuzz/corpus/<target>/ (read only); new inputs go to
# $BUILD/fuzz/corpus-<target>/, crashes to $BUILD/fuzz/<target>-crash-*.
# Prints "fuzz <target>: N execs ok" per target; exits 1 on any failure.
set -u
cd "$(dirname "$0")/../.." || exit 1
BUILD=${BUILD:-build-fuzz}
SECS=${FUZZ_SECONDS:-60}
FCC=${FUZZ_CC:-clang-14}
OUT=$BUILD/fuzz
PKG_STD="libevent openssl libjwt hiredis jansson"
mkdir -p "$OUT"

if [ $# -gt 0 ]; then
	targets="$*"
else
	targets=$(for f in tests/fuzz/fuzz_*.c; do basename "$f" .c; done)
fi

# hdr FILE KEY: the value of a "// KEY: ..." line in the first 10 lines.
hdr() {
	sed -n "1,10s,^// $2:[[:space:]]*,,p" "$1" | head -1
}

status=0
for t in $targets; do
	src=tests/fuzz/$t.c
	if [ ! -f "$src" ]; then
		echo "fuzz $t: no such harness ($src)"
		status=1
		continue
	fi
	deps=$(hdr "$src" DEPS)
	pkgs=$(hdr "$src" PKGS)
	dict=$(hdr "$src" DICT)
	# shellcheck disable=SC2086
	pkgflags=$(pkg-config --cflags --libs $PKG_STD $pkgs 2>/dev/null)
	# shellcheck disable=SC2086
	if ! $FCC -std=c17 -D_GNU_SOURCE -I. -g -O1 -fno-omit-frame-pointer \
	    -fsanitize=fuzzer,address,undefined \
	    -fno-sanitize-recover=undefined \
	    -o "$OUT/$t" "$src" $deps $pkgflags >"$OUT/$t.build.log" 2>&1; then
		cat "$OUT/$t.build.log"
		echo "fuzz $t: build failed"
		status=1
		continue
	fi
	mkdir -p "$OUT/corpus-$t" "tests/fuzz/corpus/$t"
	set -- -max_total_time="$SECS" -print_final_stats=1 \
	    -artifact_prefix="$OUT/$t-" -timeout=10 -rss_limit_mb=2048
	[ -n "$dict" ] && set -- "$@" -dict="$dict"
	"$OUT/$t" "$@" "$OUT/corpus-$t" "tests/fuzz/corpus/$t" \
	    >"$OUT/$t.log" 2>&1
	rc=$?
	execs=$(sed -n 's/^stat::number_of_executed_units:[[:space:]]*//p' \
	    "$OUT/$t.log" | tail -1)
	if [ "$rc" -ne 0 ]; then
		tail -40 "$OUT/$t.log"
		echo "fuzz $t: FAILED after ${execs:-?} execs (rc $rc;" \
		    "artifacts in $OUT/)"
		status=1
	else
		echo "fuzz $t: ${execs:-?} execs ok"
	fi
done
exit $status

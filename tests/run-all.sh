#!/bin/bash
# make test: the whole suite on real parts.
#   1. -Werror release build (the binaries operators run)
#   2. ASan/UBSan build; cmocka unit tests under it
#   3. replay of every fuzz corpus under ASan
#   4. integration tests (pytest, Debian's python) against the ASan build:
#      real redis-server, real upstreams, real clients
# Ends with one line "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
ROOT=$(pwd)
LOG=${TEST_LOG_DIR:-$ROOT/build-asan/test-logs}
scripts/deps.sh || exit 1
mkdir -p "$LOG"
passed=0
failed=0

count() {	# count NAME PASSED FAILED
	echo "== $1: $2 passed, $3 failed"
	passed=$((passed + $2))
	failed=$((failed + $3))
}

# 1. release build, warnings are errors.
if make -s -j2 ERR=1 all >"$LOG/build.log" 2>&1; then
	count build 1 0
else
	cat "$LOG/build.log"
	count build 0 1
fi
if build/drawbridge -t -c config/drawbridge.conf.example >"$LOG/conf.log" 2>&1 ||
    grep -q 'key file' "$LOG/conf.log"; then
	count example-config 1 0
else
	cat "$LOG/conf.log"
	count example-config 0 1
fi

# 2. sanitizer build + unit tests.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
if ! make -s -j2 SAN=address,undefined BUILD=build-asan all \
    $(ls tests/unit/test_*.c | sed 's,tests/unit/\(.*\)\.c,build-asan/tests/unit/\1,') \
    >"$LOG/build-asan.log" 2>&1; then
	cat "$LOG/build-asan.log"
	count build-asan 0 1
	echo "$passed passed, $failed failed"
	exit 1
fi
tests/run-unit.sh build-asan/tests/unit/test_* >"$LOG/unit.log" 2>&1
cat "$LOG/unit.log"
line=$(tail -1 "$LOG/unit.log")
p=$(echo "$line" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed/\1/p')
f=$(echo "$line" | sed -n 's/^unit: \([0-9]*\) passed, \([0-9]*\) failed/\2/p')
count unit "${p:-0}" "${f:-1}"

# 3. fuzz corpora replayed under ASan.
if [ -x tests/fuzz/replay.sh ]; then
	if BUILD=build-asan tests/fuzz/replay.sh >"$LOG/fuzz.log" 2>&1; then
		cat "$LOG/fuzz.log"
		count fuzz-replay "$(grep -c '^fuzz-replay' "$LOG/fuzz.log")" 0
	else
		cat "$LOG/fuzz.log"
		count fuzz-replay 0 1
	fi
fi

# 4. integration tests: functional ones against the ASan build, the
#    memory-measuring ones (marked slow) against the release build, since
#    ASan's quarantine makes RSS meaningless.
pytest_run() {	# pytest_run NAME BIN CTL MARKEXPR
	DRAWBRIDGE_BIN=$2 DRAWBRIDGECTL_BIN=$3 \
	    DRAWBRIDGE_RELEASE_BIN=$ROOT/build/drawbridge \
	    /usr/bin/python3 -m pytest tests/integration -q -p no:cacheprovider \
	    -m "$4" ${PYTEST_ARGS:-} 2>&1 | tee "$LOG/$1.log"
	summary=$(grep -E '(passed|failed|error|skipped|deselected).* in [0-9.]+s' \
	    "$LOG/$1.log" | tail -1)
	p=$(echo "$summary" | grep -oE '[0-9]+ passed' | grep -oE '[0-9]+')
	f=$(echo "$summary" | grep -oE '[0-9]+ failed' | grep -oE '[0-9]+')
	e=$(echo "$summary" | grep -oE '[0-9]+ error' | grep -oE '[0-9]+')
	[ -n "$summary" ] || f=1
	count "$1" "${p:-0}" "$(( ${f:-0} + ${e:-0} ))"
}
pytest_run integration "$ROOT/build-asan/drawbridge" \
    "$ROOT/build-asan/drawbridgectl" "not slow"
pytest_run integration-release "$ROOT/build/drawbridge" \
    "$ROOT/build/drawbridgectl" "slow"

# 5. the browser suite: headless Chromium through Drawbridge over HTTPS.
if [ -x tests/browser/run.sh ]; then
	DRAWBRIDGE_BIN=$ROOT/build-asan/drawbridge \
	    DRAWBRIDGECTL_BIN=$ROOT/build-asan/drawbridgectl \
	    tests/browser/run.sh 2>&1 | tee "$LOG/browser.log"
	line=$(grep -E '^browser: [0-9]+ passed, [0-9]+ failed' "$LOG/browser.log" |
	    tail -1)
	p=$(echo "$line" | sed -n 's/^browser: \([0-9]*\) passed.*/\1/p')
	f=$(echo "$line" | sed -n 's/.*passed, \([0-9]*\) failed.*/\1/p')
	count browser "${p:-0}" "${f:-1}"
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]

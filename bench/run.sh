#!/bin/bash
# bench/run.sh -- `make bench`: Drawbridge side by side with nginx and
# HAProxy against one upstream, reported as ratios.  See bench/README.md.
#
# Environment (all optional):
#   BENCH_QUICK=1       under 2 minutes: 3 rounds of 1 s, 100 MiB transfers,
#                       2,000 idle connections, one worker only
#   BENCH_ROUNDS=N      interleaved rounds per scenario (median reported)
#   BENCH_DURATION=S    seconds per wrk run
#   BENCH_XFER_MIB=N    size of each download and upload
#   BENCH_IDLE=N        idle keep-alive connections
#   BENCH_WORKERS="1 2" worker counts (one full pass for the first, small
#                       GET at 50 and 256 connections for the others)
#   BENCH_WS=N          idle WebSocket tunnels
#   BENCH_SSE=N         SSE requests per contender (split over the rounds)
#   BENCH_TLS_SECONDS=S seconds per openssl s_time run (full, resumed)
#   BENCH_PIN=0         do not pin (default: proxies CPU 0, clients CPU 1)
#
# It never fails on a number.  It exits 1 if a contender fails to start,
# answers non-2xx, or wrk reports socket errors.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$(pwd)
PY=/usr/bin/python3
QUICK=${BENCH_QUICK:-0}
if [ "$QUICK" = 1 ]; then
	ROUNDS=${BENCH_ROUNDS:-3}; DUR=${BENCH_DURATION:-1}
	XFER_MIB=${BENCH_XFER_MIB:-100}; IDLE_N=${BENCH_IDLE:-2000}
	WORKERS_LIST=${BENCH_WORKERS:-1}; REDIS_DUR=2
	WS_N=${BENCH_WS:-500}; SSE_N=${BENCH_SSE:-30}
	TLS_SECS=${BENCH_TLS_SECONDS:-1}
else
	ROUNDS=${BENCH_ROUNDS:-5}; DUR=${BENCH_DURATION:-2}
	XFER_MIB=${BENCH_XFER_MIB:-1024}; IDLE_N=${BENCH_IDLE:-10000}
	WORKERS_LIST=${BENCH_WORKERS:-"1 2"}; REDIS_DUR=4
	WS_N=${BENCH_WS:-2000}; SSE_N=${BENCH_SSE:-50}
	TLS_SECS=${BENCH_TLS_SECONDS:-5}
fi
SSE_PER_ROUND=$(((SSE_N + ROUNDS - 1) / ROUNDS))
PIN=${BENCH_PIN:-1}
[ "$(nproc)" -lt 2 ] && PIN=0
XFER_BYTES=$((XFER_MIB * 1024 * 1024))
DOMAIN=bench.test
BUILD=build-bench
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
RESULTS=$ROOT/bench/results
OUT=$RESULTS/$STAMP
RAW=$OUT/raw.tsv
START_TIME=$(date +%s)

say() { printf 'bench: %s\n' "$*" >&2; }
die() { printf 'bench: FAIL: %s\n' "$*" >&2; exit 1; }

# --- processes we started: killed by pid, always -------------------------
PIDS=()
T=""
cleanup() {
	local i
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		kill -TERM "${PIDS[i]}" 2>/dev/null || true
	done
	for ((i = ${#PIDS[@]} - 1; i >= 0; i--)); do
		wait "${PIDS[i]}" 2>/dev/null || true
	done
	if [ -n "$T" ] && [ -d "$T" ]; then
		if [ -d "$OUT" ]; then
			cp -r "$T/conf" "$T/logs" "$OUT/" 2>/dev/null || true
		fi
		rm -rf "$T"
	fi
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# Stops the pids given (ours) and forgets them.
stop_pids() {
	local p q keep=()
	for p in "$@"; do
		kill -TERM "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	for q in "${PIDS[@]}"; do
		for p in "$@"; do [ "$p" = "$q" ] && continue 2; done
		keep+=("$q")
	done
	PIDS=("${keep[@]+"${keep[@]}"}")
}

free_port() {
	$PY -c 'import socket; s = socket.socket()
s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# wait_http URL [curl args]: up to 10 s for any HTTP answer.
wait_http() {
	local url=$1 i
	shift
	for ((i = 0; i < 100; i++)); do
		curl -s -o /dev/null --max-time 1 "$@" "$url" && return 0
		sleep 0.1
	done
	return 1
}

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status"; }

# Pinning: proxies on CPU 0, load generators on CPU 1 (one worker only).
PROXY_CPU=(); CLIENT_CPU=()
set_pinning() {
	if [ "$PIN" = 1 ] && [ "$1" = 1 ]; then
		PROXY_CPU=(taskset -c 0); CLIENT_CPU=(taskset -c 1)
	else
		PROXY_CPU=(); CLIENT_CPU=()
	fi
}

# --- dependencies, build --------------------------------------------------
if ! scripts/deps.sh --extra; then
	die "missing packages (run as root, or install them)"
fi
for b in wrk nginx haproxy redis-server redis-cli curl taskset openssl; do
	command -v "$b" >/dev/null || PATH=$PATH:/usr/sbin
	command -v "$b" >/dev/null || die "$b not found"
done
say "building Drawbridge (release flags) into $BUILD/"
make -s BUILD=$BUILD OPT=-O2 ERR=1 $BUILD/drawbridge >/dev/null ||
    die "Drawbridge does not build"
HAVE_CTL=1
make -s BUILD=$BUILD OPT=-O2 ERR=1 $BUILD/drawbridgectl >/dev/null 2>&1 ||
    HAVE_CTL=0
mkdir -p $BUILD/bench
# shellcheck disable=SC2046
gcc -std=c17 -D_GNU_SOURCE -O2 -g -Wall -Wextra -Wshadow -Wformat=2 \
    -Wmissing-prototypes -Wstrict-prototypes -Wcast-qual -fno-common \
    -Werror $(pkg-config --cflags libevent openssl) \
    -o $BUILD/bench/upstream bench/upstream.c \
    $(pkg-config --libs libevent openssl) ||
    die "bench/upstream.c does not build"

# Enough descriptors for the idle scenario: the client and the proxy each
# hold IDLE_N, plus the proxy's pooled upstream connections.
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
if [ "$(ulimit -n)" -lt $((IDLE_N + 1000)) ]; then
	IDLE_N=$(($(ulimit -n) - 1000))
	say "open-file limit $(ulimit -n): idle connections lowered to $IDLE_N"
fi

mkdir -p "$OUT"
T=$(mktemp -d /tmp/drawbridge-bench.XXXXXX)
chmod 711 "$T"		# nginx workers (nobody) reach their temp dirs
mkdir -p "$T/conf" "$T/logs" "$T/nginx" "$OUT/wrk"
: >"$RAW"

# --- shared pieces: upstream, redis, key, token ----------------------------
$BUILD/bench/upstream >"$T/up.port" 2>"$T/logs/upstream.log" &
UP_PID=$!
PIDS+=("$UP_PID")
for ((i = 0; i < 50; i++)); do
	[ -s "$T/up.port" ] && break
	sleep 0.1
done
UP=$(head -n1 "$T/up.port")
[ -n "$UP" ] || die "upstream did not start"
RUNTIME_PORT=4001
[ "$UP" = 4001 ] && die "upstream got port 4001 (the runtime port); rerun"

RP=$(free_port)
redis-server --bind 127.0.0.1 --port "$RP" --save '' --appendonly no \
    --daemonize no --logfile "$T/logs/redis.log" >/dev/null &
PIDS+=("$!")
for ((i = 0; i < 50; i++)); do
	redis-cli -p "$RP" PING 2>/dev/null | grep -q PONG && break
	sleep 0.1
done
redis-cli -p "$RP" PING 2>/dev/null | grep -q PONG || die "redis did not start"

# One certificate for every TLS listener: bench.test and *.bench.test.
scripts/devca.sh "$T/conf/tls" "$DOMAIN" >/dev/null 2>&1 ||
    die "scripts/devca.sh failed"
CRT=$T/conf/tls/$DOMAIN.crt; KEY=$T/conf/tls/$DOMAIN.key
PEM=$T/conf/tls/$DOMAIN.pem		# HAProxy wants cert + key in one file
(umask 077 && cat "$CRT" "$KEY" >"$PEM")

SECRET=$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')
umask 077
printf '%s\n' "$SECRET" >"$T/conf/dev.key"
umask 022

# --- contender configs -----------------------------------------------------
write_drawbridge_conf() {	# workers port tls-port
	cat >"$T/conf/drawbridge-w$1.conf" <<EOF
# Drawbridge: routing by Host, JWT on protected ports; a TLS listener.
listen 127.0.0.1:$2
listen 127.0.0.1:$3 tls
tls-cert $CRT $KEY
# The WebSocket scenario holds more tunnels than the default 256 per sandbox.
max-streams-per-sandbox 0
workers $1
domain $DOMAIN
redis 127.0.0.1:$RP
jwt-key dev HS256 dev.key
access-log off
max-connections 20000
upstream-keepalive 256
EOF
}

write_nginx_conf() {		# workers port tls-port
	local d=$T/nginx/w$1
	mkdir -p "$d"
	cat >"$T/conf/nginx-w$1.conf" <<EOF
# nginx: proxy_pass with upstream keepalive, request buffering off,
# response buffering at its default (on).
worker_processes $1;
daemon off;
pid $d/nginx.pid;
error_log $T/logs/nginx-w$1.err warn;
worker_rlimit_nofile 40000;
events { worker_connections 20000; }
http {
	access_log off;
	client_body_temp_path $d/client_body;
	proxy_temp_path $d/proxy;
	keepalive_requests 1000000;
	client_max_body_size 0;
	upstream up {
		server 127.0.0.1:$UP;
		keepalive 256;
		keepalive_requests 1000000;
	}
	server {
		listen 127.0.0.1:$2 backlog=4096;
		location / {
			proxy_pass http://up;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$http_host;
			proxy_set_header X-Forwarded-For \$remote_addr;
			proxy_set_header X-Forwarded-Proto \$scheme;
			proxy_request_buffering off;
		}
		location /ws {
			proxy_pass http://up;
			proxy_http_version 1.1;
			proxy_set_header Upgrade \$http_upgrade;
			proxy_set_header Connection "upgrade";
			proxy_set_header Host \$http_host;
			proxy_set_header X-Forwarded-For \$remote_addr;
		}
		location /sse {
			proxy_pass http://up;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$http_host;
			proxy_set_header X-Forwarded-For \$remote_addr;
			proxy_buffering off;
		}
	}
	server {
		listen 127.0.0.1:$3 ssl backlog=4096;
		ssl_certificate $CRT;
		ssl_certificate_key $KEY;
		ssl_protocols TLSv1.2 TLSv1.3;
		ssl_session_cache shared:SSL:10m;
		location / {
			proxy_pass http://up;
			proxy_http_version 1.1;
			proxy_set_header Connection "";
			proxy_set_header Host \$http_host;
		}
	}
}
EOF
}

write_haproxy_conf() {		# workers port jwt(0|1) [tls-port]
	local f what=""
	f=$T/conf/haproxy-w$1.cfg
	if [ "$3" = 1 ]; then
		f=$T/conf/haproxy-jwt-w$1.cfg
		what=", HS256 bearer checked with jwt_verify"
	fi
	cat >"$f" <<EOF
# HAProxy 2.6$what: one process.
global
	nbthread $1
	maxconn 20000
	# Its fd estimate (2 per maxconn) may exceed the hard limit here:
	# warn instead of refusing to start.
	no strict-limits
defaults
	mode http
	maxconn 20000
	timeout connect 5s
	timeout client 300s
	timeout server 300s
	timeout http-keep-alive 300s
	timeout http-request 10s
	option http-keep-alive
frontend fe
	bind 127.0.0.1:$2 backlog 4096
	option forwardfor
	default_backend be
	# Event streams: without http-no-delay HAProxy sends with MSG_MORE
	# and the kernel holds a lone SSE event for up to 200 ms.
	use_backend be_sse if { path /sse }
EOF
	if [ "$3" = 1 ]; then
		cat >>"$f" <<EOF
	# Same checks as Drawbridge: alg pinned, signature, aud, exp, sbx.
	http-request set-var(txn.bearer) http_auth_bearer
	http-request set-var(txn.now) date
	http-request deny deny_status 401 unless { var(txn.bearer) -m found }
	http-request deny deny_status 401 unless { var(txn.bearer),jwt_header_query('\$.alg') -m str HS256 }
	http-request deny deny_status 401 unless { var(txn.bearer),jwt_verify("HS256","$SECRET") -m int 1 }
	http-request deny deny_status 401 unless { var(txn.bearer),jwt_payload_query('\$.aud') -m str drawbridge }
	http-request deny deny_status 401 unless { var(txn.bearer),jwt_payload_query('\$.sbx') -m str prot }
	http-request deny deny_status 401 unless { var(txn.bearer),jwt_payload_query('\$.exp','int'),sub(txn.now) -m int gt 0 }
EOF
	fi
	if [ -n "${4:-}" ]; then
		cat >>"$f" <<EOF
frontend fe_tls
	bind 127.0.0.1:$4 ssl crt $PEM
	option forwardfor
	default_backend be
EOF
	fi
	cat >>"$f" <<EOF
backend be
	server up 127.0.0.1:$UP
backend be_sse
	option http-no-delay
	server up 127.0.0.1:$UP
EOF
}

# --- routes and token -------------------------------------------------------
put_routes() {		# drawbridge config
	local conf=$1 rec
	if [ "$HAVE_CTL" = 1 ] &&
	    $BUILD/drawbridgectl -c "$conf" route put pub --target 127.0.0.1 \
	    --runtime-port $RUNTIME_PORT --expose "$UP:public" >/dev/null &&
	    $BUILD/drawbridgectl -c "$conf" route put prot --target 127.0.0.1 \
	    --runtime-port $RUNTIME_PORT --expose "$UP:auth" >/dev/null; then
		return 0
	fi
	for id in pub prot; do
		if [ $id = pub ]; then a=public; else a=auth; fi
		rec=$(printf '{"v":1,"target":"127.0.0.1","runtime_port":%s,%s}' \
		    "$RUNTIME_PORT" "\"status\":\"active\",\"ports\":{\"$UP\":\"$a\"}")
		redis-cli -p "$RP" SET "drawbridge:route:$id" "$rec" >/dev/null
		redis-cli -p "$RP" PUBLISH drawbridge:routes "$id" >/dev/null
	done
}

mint_token() {		# drawbridge config
	if [ "$HAVE_CTL" = 1 ] && $BUILD/drawbridgectl -c "$1" token prot \
	    --ttl 86400 2>/dev/null; then
		return 0
	fi
	SECRET=$SECRET $PY -c 'import jwt, os, time
now = int(time.time())
print(jwt.encode({"sbx": "prot", "aud": "drawbridge", "iat": now,
    "exp": now + 86400}, os.environ["SECRET"], algorithm="HS256",
    headers={"kid": "dev"}))'
}

# --- contenders -------------------------------------------------------------
CONTENDERS=(direct nginx haproxy haproxy-jwt db-public db-protected)
declare -A PORT RSSPID HOSTHDR AUTH TLSPORT
TOKEN=""

start_contenders() {	# workers
	local w=$1 p i c code
	local -a h
	set_pinning "$w"
	PORT[direct]=$UP; RSSPID[direct]=$UP_PID

	p=$(free_port); TLSPORT[nginx]=$(free_port)
	write_nginx_conf "$w" "$p" "${TLSPORT[nginx]}"
	"${PROXY_CPU[@]}" nginx -e "$T/logs/nginx-w$w.err" \
	    -c "$T/conf/nginx-w$w.conf" -p "$T/nginx/w$w" \
	    >"$T/logs/nginx-w$w.out" 2>&1 &
	NGINX_PID=$!; PIDS+=("$NGINX_PID"); PORT[nginx]=$p

	p=$(free_port); TLSPORT[haproxy]=$(free_port)
	write_haproxy_conf "$w" "$p" 0 "${TLSPORT[haproxy]}"
	"${PROXY_CPU[@]}" haproxy -db -f "$T/conf/haproxy-w$w.cfg" \
	    >"$T/logs/haproxy-w$w.log" 2>&1 &
	HAP_PID=$!; PIDS+=("$HAP_PID"); PORT[haproxy]=$p

	p=$(free_port); write_haproxy_conf "$w" "$p" 1
	"${PROXY_CPU[@]}" haproxy -db -f "$T/conf/haproxy-jwt-w$w.cfg" \
	    >"$T/logs/haproxy-jwt-w$w.log" 2>&1 &
	HAPJ_PID=$!; PIDS+=("$HAPJ_PID"); PORT[haproxy-jwt]=$p

	p=$(free_port); TLSPORT[db-public]=$(free_port)
	write_drawbridge_conf "$w" "$p" "${TLSPORT[db-public]}"
	"${PROXY_CPU[@]}" $BUILD/drawbridge -c "$T/conf/drawbridge-w$w.conf" \
	    >"$T/logs/drawbridge-w$w.log" 2>&1 &
	DB_PID=$!; PIDS+=("$DB_PID"); PORT[db-public]=$p; PORT[db-protected]=$p

	RSSPID[haproxy]=$HAP_PID; RSSPID[haproxy-jwt]=$HAPJ_PID
	RSSPID[db-public]=$DB_PID; RSSPID[db-protected]=$DB_PID
	for c in nginx haproxy haproxy-jwt db-public; do
		wait_http "http://127.0.0.1:${PORT[$c]}/" ||
		    die "$c did not start (logs in $OUT/logs)"
	done
	for c in nginx haproxy db-public; do
		wait_http "https://127.0.0.1:${TLSPORT[$c]}/" -k ||
		    die "$c: no TLS listener (logs in $OUT/logs)"
	done
	# nginx: measure the worker, not the master (a worker per CPU at w2:
	# the first one; all of them are summed in rss_of).
	for ((i = 0; i < 50; i++)); do
		NGINX_WORKERS=$(pgrep -P "$NGINX_PID" | tr '\n' ' ')
		[ -n "$NGINX_WORKERS" ] && break
		sleep 0.1
	done
	RSSPID[nginx]=$NGINX_PID

	put_routes "$T/conf/drawbridge-w$w.conf"
	[ -n "$TOKEN" ] || TOKEN=$(mint_token "$T/conf/drawbridge-w$w.conf")
	[ -n "$TOKEN" ] || die "could not mint a token"
	HOSTHDR[direct]="$UP-pub.$DOMAIN"; HOSTHDR[nginx]="$UP-pub.$DOMAIN"
	HOSTHDR[haproxy]="$UP-pub.$DOMAIN"; HOSTHDR[db-public]="$UP-pub.$DOMAIN"
	HOSTHDR[haproxy-jwt]="$UP-prot.$DOMAIN"
	HOSTHDR[db-protected]="$UP-prot.$DOMAIN"
	for c in "${CONTENDERS[@]}"; do AUTH[$c]=0; done
	AUTH[haproxy-jwt]=1; AUTH[db-protected]=1

	# Every contender answers 200, and both JWT checks are really on.
	for c in "${CONTENDERS[@]}"; do
		mapfile -t h < <(hdr_args "$c")
		code=$(curl -s -o /dev/null -w '%{http_code}' "${h[@]}" \
		    "http://127.0.0.1:${PORT[$c]}/small") || true
		[ "$code" = 200 ] || die "$c answers $code to GET /small"
	done
	for c in haproxy-jwt db-protected; do
		code=$(curl -s -o /dev/null -w '%{http_code}' \
		    -H "Host: ${HOSTHDR[$c]}" \
		    -H "Authorization: Bearer ${TOKEN%?}x" \
		    "http://127.0.0.1:${PORT[$c]}/small") || true
		[ "$code" = 401 ] ||
		    die "$c answers $code to a bad token (expected 401)"
	done
}

# hdr_args CONTENDER: the -H arguments every client sends to it.
hdr_args() {
	printf -- '-H\nHost: %s\n' "${HOSTHDR[$1]}"
	[ "${AUTH[$1]}" = 1 ] && printf -- '-H\nAuthorization: Bearer %s\n' "$TOKEN"
	return 0
}

# rss_of CONTENDER: resident KiB of the process(es) doing the proxying.
rss_of() {
	local sum=0 p
	if [ "$1" = nginx ]; then
		for p in $NGINX_WORKERS; do sum=$((sum + $(rss_kib "$p"))); done
		echo "$sum"
	else
		rss_kib "${RSSPID[$1]}"
	fi
}

stop_contenders() {
	stop_pids "$NGINX_PID" "$HAP_PID" "$HAPJ_PID" "$DB_PID"
}

# --- measurements -------------------------------------------------------------
emit() { printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$@" >>"$RAW"; }

# wrk_run W SCENARIO CONTENDER ROUND CONNS DURATION: one wrk measurement.
wrk_run() {
	local w=$1 scen=$2 c=$3 r=$4 conns=$5 dur=$6 threads=1 f
	local -a h
	[ "$w" -gt 1 ] && [ "$conns" -gt 1 ] && threads=2
	mapfile -t h < <(hdr_args "$c")
	f=$OUT/wrk/w$w-$scen-$c-r$r.txt
	"${CLIENT_CPU[@]}" wrk -t$threads -c"$conns" -d"$dur"s --latency \
	    "${h[@]}" "http://127.0.0.1:${PORT[$c]}/small" >"$f" 2>&1 ||
	    die "wrk failed against $c: $f"
	if grep -qE '^ *(Non-2xx|Socket errors)' "$f"; then
		grep -E '^ *(Non-2xx|Socket errors)' "$f" >&2
		die "$c returned errors in $scen round $r (see $f)"
	fi
	[ "$scen" = warmup ] && return 0
	awk -v pre="$w	$scen	$c	$r" '
	function us(x) {
		if (x ~ /us$/) return x + 0
		if (x ~ /ms$/) return (x + 0) * 1000
		if (x ~ /s$/) return (x + 0) * 1000000
		return x + 0
	}
	/^ +50%/ { p50 = us($2) }
	/^ +99%/ { p99 = us($2) }
	/^Requests\/sec:/ { rps = $2 }
	END {
		printf "%s\trps\t%s\n%s\tp50_us\t%s\n%s\tp99_us\t%s\n",
		    pre, rps, pre, p50, pre, p99
	}' "$f" >>"$RAW"
}

# sample_rss CONTENDER FILE: VmRSS every 100 ms until killed.
sample_rss() {
	while :; do
		rss_of "$1" >>"$2" 2>/dev/null || true
		sleep 0.1
	done
}

# xfer_run W DIR CONTENDER ROUND: one download or upload of XFER_BYTES.
xfer_run() {
	local w=$1 dir=$2 c=$3 r=$4 f before samp sp out code size t
	local -a h
	mapfile -t h < <(hdr_args "$c")
	f=$OUT/wrk/w$w-$dir-$c-r$r
	before=$(rss_of "$c")
	sample_rss "$c" "$f.rss" &
	samp=$!
	PIDS+=("$samp")
	if [ "$dir" = download ]; then
		out=$("${CLIENT_CPU[@]}" curl -s -o /dev/null "${h[@]}" \
		    -w '%{http_code} %{size_download} %{time_total}' \
		    "http://127.0.0.1:${PORT[$c]}/download?size=$XFER_BYTES") ||
		    true
	else
		out=$("${CLIENT_CPU[@]}" curl -s -o "$f.body" "${h[@]}" \
		    -H 'Expect:' -T "$T/upload.bin" \
		    -w '%{http_code} %{size_upload} %{time_total}' \
		    "http://127.0.0.1:${PORT[$c]}/upload") || true
	fi
	stop_pids "$samp"
	rss_of "$c" >>"$f.rss"
	echo "$out" >"$f.txt"
	read -r code size t <<<"$out"
	[ "$code" = 200 ] || die "$c: $dir answered ${code:-nothing} ($f.txt)"
	[ "$size" = "$XFER_BYTES" ] ||
	    die "$c: $dir moved $size of $XFER_BYTES bytes ($f.txt)"
	if [ "$dir" = upload ] &&
	    [ "$(tr -d '\n' <"$f.body")" != "$XFER_BYTES" ]; then
		die "$c: upstream counted $(cat "$f.body") bytes, not $XFER_BYTES"
	fi
	emit "$w" "$dir" "$c" "$r" mb_s \
	    "$(awk -v b="$XFER_BYTES" -v t="$t" 'BEGIN { printf "%.1f", b / t / 1e6 }')"
	sp=$(sort -n "$f.rss" | tail -n1)
	emit "$w" "$dir" "$c" "$r" rss_growth_kib $((${sp:-$before} - before))
}

# idle_run W CONTENDER: IDLE_N idle keep-alive connections, RSS per conn.
idle_run() {
	local w=$1 c=$2 f before after pid line i
	f=$OUT/wrk/w$w-idle-$c.txt
	before=$(rss_of "$c")
	"${CLIENT_CPU[@]}" $PY bench/idle.py "${PORT[$c]}" "$IDLE_N" \
	    "${HOSTHDR[$c]}" /small >"$f" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for ((i = 0; i < 1200; i++)); do
		grep -q '^ready' "$f" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	line=$(grep '^ready' "$f" || true)
	[ -n "$line" ] || die "$c: idle client did not finish ($f)"
	sleep 1
	after=$(rss_of "$c")
	stop_pids "$pid"
	set -- $line
	[ "$3" = 0 ] || die "$c: $3 of $IDLE_N idle connections failed ($f)"
	emit "$w" idle "$c" 1 bytes_per_conn $(((after - before) * 1024 / IDLE_N))
	echo "before_kib=$before after_kib=$after n=$IDLE_N" >>"$f"
}

# redis_run W CONTENDER: Redis commands per request on a warm cache.
redis_run() {
	local w=$1 c=$2 f reqs
	local -a h
	mapfile -t h < <(hdr_args "$c")
	f=$OUT/wrk/w$w-redis-$c
	redis-cli -p "$RP" CONFIG RESETSTAT >/dev/null
	"${CLIENT_CPU[@]}" wrk -t1 -c10 -d"$REDIS_DUR"s "${h[@]}" \
	    "http://127.0.0.1:${PORT[$c]}/small" >"$f.txt" 2>&1 ||
	    die "wrk failed against $c: $f.txt"
	redis-cli -p "$RP" INFO commandstats >"$f.stats"
	grep -qE '^ *(Non-2xx|Socket errors)' "$f.txt" &&
	    die "$c returned errors in the Redis scenario ($f.txt)"
	reqs=$(awk '/requests in/ { print $1 }' "$f.txt")
	awk -F'[:=,]' -v n="$reqs" -v pre="$w	redis	$c	1" '
	/^cmdstat_/ {
		name = substr($1, 9)
		if (name != "info" && name != "config") all += $3
		if (name == "get") get += $3
	}
	END {
		printf "%s\tget_per_req\t%.6f\n%s\tcmds_per_req\t%.6f\n",
		    pre, get / n, pre, all / n
	}' "$f.stats" >>"$RAW"
}

# ws_idle_run W CONTENDER [PORT PID]: WS_N idle WebSocket tunnels, RSS
# per tunnel.  PORT/PID override the contender's (a fresh upstream for
# direct).
ws_idle_run() {
	local w=$1 c=$2 port=${3:-${PORT[$2]}} f before after pid line i
	f=$OUT/wrk/w$w-ws-$c.txt
	: >"$f"
	if [ -n "${4:-}" ]; then before=$(rss_kib "$4"); else before=$(rss_of "$c"); fi
	"${CLIENT_CPU[@]}" $PY bench/streams.py ws "$port" "$WS_N" \
	    "${HOSTHDR[$c]}" /ws >"$f" 2>&1 &
	pid=$!
	PIDS+=("$pid")
	for ((i = 0; i < 1200; i++)); do
		grep -q '^ready' "$f" && break
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	line=$(grep '^ready' "$f" || true)
	[ -n "$line" ] || die "$c: WebSocket client did not finish ($f)"
	sleep 1
	if [ -n "${4:-}" ]; then after=$(rss_kib "$4"); else after=$(rss_of "$c"); fi
	stop_pids "$pid"
	set -- $line
	[ "$3" = 0 ] || die "$c: $3 of $WS_N WebSocket tunnels failed ($f)"
	emit "$w" ws_idle "$c" 1 bytes_per_tunnel \
	    $(((after - before) * 1024 / WS_N))
	echo "before_kib=$before after_kib=$after n=$WS_N" >>"$f"
}

# ws_direct W: the upstream's own memory per tunnel, on a fresh upstream
# (the shared one has held thousands of connections by then).
ws_direct() {
	local pid port i
	$BUILD/bench/upstream >"$T/up2.port" 2>>"$T/logs/upstream2.log" &
	pid=$!
	PIDS+=("$pid")
	for ((i = 0; i < 50; i++)); do
		[ -s "$T/up2.port" ] && break
		sleep 0.1
	done
	port=$(head -n1 "$T/up2.port")
	[ -n "$port" ] || die "second upstream did not start"
	ws_idle_run "$1" direct "$port" "$pid"
	stop_pids "$pid"
}

# sse_run W CONTENDER ROUND: SSE_PER_ROUND requests, first-event latency.
sse_run() {
	local w=$1 c=$2 r=$3 f line
	f=$OUT/wrk/w$w-sse-$c-r$r.txt
	"${CLIENT_CPU[@]}" $PY bench/streams.py sse "${PORT[$c]}" \
	    "$SSE_PER_ROUND" "${HOSTHDR[$c]}" /sse >"$f" 2>&1 ||
	    die "$c: SSE requests failed ($f)"
	line=$(grep '^sse ' "$f" || true)
	set -- $line
	[ "${5:-1}" = 0 ] || die "$c: SSE requests failed ($f)"
	emit "$w" sse "$c" "$r" first_event_us "$2"
}

# tls_run W MODE(full|resumed) CONTENDER: openssl s_time for TLS_SECS;
# handshakes per second of wall time.  Full handshakes negotiate TLS 1.3
# (what clients use); resumed ones TLS 1.2, because s_time never reads
# the TLS 1.3 ticket (it arrives after the handshake) and so cannot
# resume 1.3 sessions.
tls_run() {
	local w=$1 mode=$2 c=$3 f t0 t1 n reused
	local -a opt=(-new)
	[ "$mode" = resumed ] && opt=(-reuse -tls1_2)
	f=$OUT/wrk/w$w-tls-$mode-$c.txt
	t0=$(date +%s.%N)
	"${CLIENT_CPU[@]}" openssl s_time -connect "127.0.0.1:${TLSPORT[$c]}" \
	    "${opt[@]}" -time "$TLS_SECS" >"$f" 2>&1 ||
	    die "$c: openssl s_time failed ($f)"
	t1=$(date +%s.%N)
	n=$(awk '/connections in .* real seconds/ { print $1 }' "$f" | tail -n1)
	[ -n "$n" ] && [ "$n" -gt 0 ] || die "$c: no TLS handshakes ($f)"
	if [ "$mode" = resumed ]; then
		# s_time prints r per resumed session, * per full handshake
		reused=$(tr -cd 'r' <"$f" | wc -c)
		[ "$reused" -ge $((n * 9 / 10)) ] ||
		    die "$c: only $reused of $n sessions resumed ($f)"
	fi
	emit "$w" "tls_$mode" "$c" 1 hs_per_s \
	    "$(awk -v n="$n" -v a="$t0" -v b="$t1" 'BEGIN { printf "%.0f", n / (b - a) }')"
}

# --- the run ----------------------------------------------------------------------
truncate -s "$XFER_BYTES" "$T/upload.bin"
say "results in $OUT (rounds $ROUNDS x ${DUR}s, transfers ${XFER_MIB} MiB," \
    "$IDLE_N idle, workers: $WORKERS_LIST, pinning: $PIN)"
first=1
for W in $WORKERS_LIST; do
	say "workers $W: starting contenders"
	start_contenders "$W"
	for c in "${CONTENDERS[@]}"; do
		wrk_run "$W" warmup "$c" 0 50 1
	done
	if [ "$first" = 1 ]; then
		say "workers $W: $IDLE_N idle keep-alive connections"
		for c in direct nginx haproxy db-public; do idle_run "$W" "$c"; done
		say "workers $W: Redis commands per request"
		for c in db-public db-protected; do redis_run "$W" "$c"; done
		# Fresh processes again: freed keep-alive memory would be
		# reused by the tunnels and hide their cost.
		say "workers $W: $WS_N idle WebSocket tunnels (fresh processes)"
		stop_contenders
		start_contenders "$W"
		ws_direct "$W"
		for c in nginx haproxy db-public; do ws_idle_run "$W" "$c"; done
		say "workers $W: TLS handshakes, ${TLS_SECS}s each"
		for m in full resumed; do
			for c in nginx haproxy db-public; do
				tls_run "$W" "$m" "$c"
			done
		done
		LEVELS="1 50 256"
	else
		LEVELS="50 256"
	fi
	for ((r = 1; r <= ROUNDS; r++)); do
		for n in $LEVELS; do
			say "workers $W: round $r/$ROUNDS: small GET, $n connections"
			for c in "${CONTENDERS[@]}"; do
				wrk_run "$W" "small_c$n" "$c" "$r" "$n" "$DUR"
			done
		done
		[ "$first" = 1 ] || continue
		say "workers $W: round $r/$ROUNDS: SSE first event"
		for c in direct nginx haproxy db-public; do
			sse_run "$W" "$c" "$r"
		done
		for d in download upload; do
			say "workers $W: round $r/$ROUNDS: $d ${XFER_MIB} MiB"
			for c in direct nginx haproxy db-public; do
				xfer_run "$W" "$d" "$c" "$r"
			done
		done
	done
	stop_contenders
	first=0
done

# --- report ------------------------------------------------------------------------
ELAPSED=$(($(date +%s) - START_TIME))
STAMP=$STAMP QUICK=$QUICK ROUNDS=$ROUNDS DUR=$DUR XFER_MIB=$XFER_MIB \
IDLE_N=$IDLE_N WS_N=$WS_N SSE_N=$((SSE_PER_ROUND * ROUNDS)) \
TLS_SECS=$TLS_SECS WORKERS_LIST=$WORKERS_LIST PIN=$PIN ELAPSED=$ELAPSED \
NGINX_V=$(nginx -v 2>&1) HAPROXY_V=$(haproxy -v | head -n1) \
WRK_V=$(wrk -v 2>&1 | head -n1 || true) GIT_REV=$(git rev-parse --short HEAD) \
$PY -c 'import json, os, platform
e = os.environ
print(json.dumps({"timestamp": e["STAMP"], "quick": e["QUICK"] == "1",
    "rounds": int(e["ROUNDS"]), "duration_s": int(e["DUR"]),
    "transfer_mib": int(e["XFER_MIB"]), "idle_connections": int(e["IDLE_N"]),
    "websocket_tunnels": int(e["WS_N"]), "sse_requests": int(e["SSE_N"]),
    "tls_seconds": int(e["TLS_SECS"]),
    "workers": e["WORKERS_LIST"].split(),
    "pinning": "proxies CPU 0, clients CPU 1 (workers 1)"
        if e["PIN"] == "1" else "none",
    "elapsed_s": int(e["ELAPSED"]), "cpus": os.cpu_count(),
    "kernel": platform.release(), "drawbridge": e["GIT_REV"],
    "nginx": e["NGINX_V"], "haproxy": e["HAPROXY_V"], "wrk": e["WRK_V"]}))
' >"$OUT/meta.json"
$PY bench/report.py "$RAW" "$OUT/meta.json" "$RESULTS/$STAMP.json" |
    tee "$OUT/table.txt"
say "elapsed ${ELAPSED}s"
echo "$RESULTS/$STAMP.json"

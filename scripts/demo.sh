#!/bin/bash
# Run Drawbridge for real on this machine: install what is missing, build,
# start a private redis-server, a demo sandbox (runtime API + a web app) and
# Drawbridge, write the routes, and print URLs that work when pasted.
# Ctrl-C stops everything this script started.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
DIR=${DEMO_DIR:-/tmp/drawbridge-demo}
PORT=${DEMO_PORT:-8080}
TLS_PORT=${DEMO_TLS_PORT:-8443}
REDIS_PORT=${DEMO_REDIS_PORT:-16379}
RUNTIME_PORT=14001	# where the demo runtime API listens
APP_PORT=3000		# public exposed port
PRIV_PORT=3001		# protected exposed port

scripts/deps.sh
make -s -j2 all

mkdir -p "$DIR"
umask 077
for k in dev cookie presign; do
	[ -s "$DIR/$k.key" ] || head -c 48 /dev/urandom | base64 -w0 > "$DIR/$k.key"
	chmod 600 "$DIR/$k.key"
done
[ -s "$DIR/tls/sandbox.localhost.crt" ] ||
    scripts/devca.sh "$DIR/tls" sandbox.localhost >"$DIR/devca.log"
cat > "$DIR/drawbridge.conf" <<CONF
# Written by scripts/demo.sh
listen 127.0.0.1:$PORT
listen 127.0.0.1:$TLS_PORT tls
tls-cert tls/sandbox.localhost.crt tls/sandbox.localhost.key
cookie-key c1 cookie.key
presign-key p1 presign.key
admin-listen 127.0.0.1:$((PORT + 1))
domain sandbox.localhost
path-host localhost
redis 127.0.0.1:$REDIS_PORT
jwt-key dev HS256 dev.key
CONF

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --save '' \
    --appendonly no --daemonize no >"$DIR/redis.log" 2>&1 &
pids+=($!)
/usr/bin/python3 scripts/demo_upstream.py --bind 127.0.0.1 \
    --runtime-port "$RUNTIME_PORT" --app-port "$APP_PORT" \
    --app2-port "$PRIV_PORT" >"$DIR/upstream.log" 2>&1 &
pids+=($!)
for _ in $(seq 50); do
	redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1 && break
	sleep 0.1
done

export DRAWBRIDGE_CONF=$DIR/drawbridge.conf
build/drawbridge -c "$DIR/drawbridge.conf" 2>&1 | tee "$DIR/drawbridge.log" &
pids+=($!)
CTL="$ROOT/build/drawbridgectl -c $DIR/drawbridge.conf"
$CTL route put demo --target 127.0.0.1 --runtime-port "$RUNTIME_PORT" \
    --expose "$APP_PORT:public" --expose "$PRIV_PORT:auth"
TOKEN=$($CTL token demo --ttl 86400)
GRANT=$($CTL token demo --port "$PRIV_PORT" --ttl 600)
for _ in $(seq 50); do
	curl -s -o /dev/null "http://127.0.0.1:$((PORT + 1))/healthz" && break
	sleep 0.1
done

cat <<MSG

Drawbridge is running on http://127.0.0.1:$PORT (admin on :$((PORT + 1))).
Sandbox "demo": runtime API on 127.0.0.1:$RUNTIME_PORT, app ports $APP_PORT (public)
and $PRIV_PORT (protected).  *.localhost resolves to 127.0.0.1 in curl and browsers.

  export TOKEN=$TOKEN

  # runtime API (always needs the token), host-routed and path-routed:
  curl -H "Authorization: Bearer \$TOKEN" http://demo.sandbox.localhost:$PORT/sandbox/health
  curl -H "Authorization: Bearer \$TOKEN" http://localhost:$PORT/sandbox/demo/health
  # no token -> 401 with a JSON error:
  curl -i http://demo.sandbox.localhost:$PORT/sandbox/health
  # public app port, and a protected one:
  curl http://$APP_PORT-demo.sandbox.localhost:$PORT/
  curl -H "Authorization: Bearer \$TOKEN" http://$PRIV_PORT-demo.sandbox.localhost:$PORT/
  # an unexposed port -> 403:
  curl -i http://9999-demo.sandbox.localhost:$PORT/
  # upload and download through the runtime API (streamed):
  curl -H "Authorization: Bearer \$TOKEN" -T README.md "http://demo.sandbox.localhost:$PORT/sandbox/files/upload?path=readme.md"
  curl -H "Authorization: Bearer \$TOKEN" "http://demo.sandbox.localhost:$PORT/sandbox/files/download?path=readme.md"
  # server-sent events (process output):
  curl -N -H "Authorization: Bearer \$TOKEN" http://demo.sandbox.localhost:$PORT/sandbox/processes/1/stream

  # HTTPS with a local development CA (trust $DIR/tls/ca.crt):
  curl --cacert $DIR/tls/ca.crt -H "Authorization: Bearer \$TOKEN" https://demo.sandbox.localhost:$TLS_PORT/sandbox/health
  # a browser bootstrap link for the protected app (valid 10 minutes; open it in
  # a browser that trusts the CA; it sets a host-only cookie and redirects):
  https://$PRIV_PORT-demo.sandbox.localhost:$TLS_PORT/_hb/auth?grant=$GRANT&next=%2F
  # a presigned download link (no headers needed):
  curl -s -H "Authorization: Bearer \$TOKEN" -d '{"path":"readme.md"}' http://demo.sandbox.localhost:$PORT/sandbox/files/presign-download

  # routes are live in Redis: expose another port, mint tokens
  DRAWBRIDGE_CONF=$DIR/drawbridge.conf build/drawbridgectl route get demo
  DRAWBRIDGE_CONF=$DIR/drawbridge.conf build/drawbridgectl token demo --ttl 600

Logs: $DIR/*.log.  Ctrl-C stops Drawbridge, redis-server and the demo sandbox.
MSG
wait

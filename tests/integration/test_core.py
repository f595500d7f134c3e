"""The nine acceptance points of the core issue, one test (or a few) each.

  1 three route forms, UUID ids, query kept       6 2 GiB up/down, RSS < 16 MiB
  2 runtime port credentials                      7 route changes live; Redis down
  3 exposed ports public/protected/unexposed      8 framing attacks never forwarded
  4 404/410/409/502/504                           9 1,000 keep-alive requests, reuse
  5 what the upstream sees

Numbers (RSS, throughput) go to stdout (-s) and tests/integration/results.txt.
"""

import hashlib
import json
import os
import socket
import threading
import time

import pytest

import dbh
from conftest import record_result
from dbh import auth, check_denied, check_rej, diag, http, req

GiB = 1 << 30


def one(world, proxy, data, status=200):
	m0 = world.spy.mark()
	r = http(proxy.port, data, timeout=15)
	time.sleep(0.02)
	got = world.spy.since(m0)
	assert r.status == status, diag(data, r)
	return r, got


# 1 ---------------------------------------------------------------------------

@pytest.mark.parametrize("sid", ["sbx1", "uuid"])
def test_core1_route_forms(world, proxy, sid):
	if sid == "uuid":
		sid = world.uuid
	tok = world.token(sid)
	lname = "uuid" if sid == world.uuid else sid
	cases = [
	    (req("GET", "/sandbox/files?path=/a&b=%20c", world.rt(sid), [auth(tok)]),
	     lname + "/runtime", "/sandbox/files?path=/a&b=%20c"),
	    (req("GET", "/sandbox/%s/files?path=/a&b=%%20c" % sid, world.px, [auth(tok)]),
	     lname + "/runtime", "/sandbox/files?path=/a&b=%20c"),
	    (req("GET", "/sandbox/%s" % sid, world.px, [auth(tok)]), lname + "/runtime", "/sandbox"),
	    (req("GET", "/sandbox/%s?q=1" % sid, world.px, [auth(tok)]), lname + "/runtime",
	     "/sandbox?q=1"),
	    (req("GET", "/app/page?x=1&y=2", world.pub(sid)), lname + "/pub", "/app/page?x=1&y=2"),
	]
	for data, lst, target in cases:
		r, got = one(world, proxy, data)
		assert [(q.listener, q.target) for q in got] == [(lst, target)], diag(data, r)


# 2 ---------------------------------------------------------------------------

def test_core2_runtime_credentials(world, proxy, tok1, tok2, secret):
	from cryptography.hazmat.primitives.asymmetric import rsa
	rt = world.rt()
	now = int(time.time())
	expired = world.mint(now=now - 7200, ttl=3600)
	none = (dbh.b64u('{"alg":"none","typ":"JWT","kid":"dev"}') + "." +
	    dbh.b64u(json.dumps({"sbx": "sbx1", "aud": "drawbridge", "iat": now,
	    "exp": now + 600})) + ".")
	rs = world.mint(alg="RS256", key=rsa.generate_private_key(
	    public_exponent=65537, key_size=2048))
	for name, hdrs, code in (
	    ("none", [], "token_missing"),
	    ("other sandbox", [auth(tok2)], "token_wrong_sandbox"),
	    ("expired", [auth(expired)], "token_expired"),
	    ("alg none", [auth(none)], None),
	    ("RS256 headed", [auth(rs)], None)):
		r = check_denied(world, proxy, req("GET", "/sandbox/x", rt, hdrs), (401,), code)
		assert (r.header("www-authenticate") or "").startswith('Bearer realm="drawbridge"'), \
		    "%s: %r" % (name, r)
		if hdrs:
			assert 'error="invalid_token"' in r.header("www-authenticate"), r
	r, got = one(world, proxy, req("GET", "/sandbox/x", rt, [auth(tok1)]))
	assert [q.listener for q in got] == ["sbx1/runtime"]


def test_core2_runtime_port_scope(world, proxy):
	scoped = world.token("sbx1", port=world.PUB)
	check_denied(world, proxy, req("GET", "/sandbox/x", world.rt(), [auth(scoped)]),
	    (403,), "port_scope")
	ok = world.token("sbx1", port=4001)
	one(world, proxy, req("GET", "/sandbox/x", world.rt(), [auth(ok)]))


# 3 ---------------------------------------------------------------------------

def test_core3_exposed_ports(world, proxy, tok1):
	r, got = one(world, proxy, req("GET", "/", world.pub()))
	assert got[0].listener == "sbx1/pub"
	check_denied(world, proxy, req("GET", "/", world.prot()), (401,), "token_missing")
	for tok in (world.token("sbx1", port=world.PROT), tok1):
		r, got = one(world, proxy, req("GET", "/", world.prot(), [auth(tok)]))
		assert got[0].listener == "sbx1/prot"
	check_denied(world, proxy, req("GET", "/", world.prot(), [auth(world.token(
	    "sbx1", port=4001))]), (403,), "port_scope")
	check_denied(world, proxy, req("GET", "/", world.prot(), [auth(world.token(
	    "sbx2", port=world.PROT))]), (401,), "token_wrong_sandbox")
	check_denied(world, proxy, req("GET", "/", world.unex(), [auth(tok1)]), (403,),
	    "port_not_exposed")
	check_denied(world, proxy, req("GET", "/", "4001-sbx1.sb.test", [auth(tok1)]),
	    (403,), "runtime_port_not_exposable")


# 4 ---------------------------------------------------------------------------

def test_core4_sandbox_states_and_upstream_errors(world, proxy):
	b = world.boxes["sbx1"]
	tokfor = lambda sid: world.mint(sbx=sid)  # noqa: E731
	check_denied(world, proxy, req("GET", "/sandbox/x", "nosuch-sbx.sb.test",
	    [auth(tokfor("nosuch-sbx"))]), (404,), "sandbox_not_found")
	check_denied(world, proxy, req("GET", "/", "%d-nosuch-sbx.sb.test" % world.PUB),
	    (404,), "sandbox_not_found")
	for status, code, want in (("closed", "sandbox_closed", 410),
	    ("paused", "sandbox_not_running", 409), ("starting", "sandbox_not_running", 409)):
		sid = "core4-" + status
		world.put(sid, world.record(b.ip, world.R, {world.PUB: "public"}, status=status))
		try:
			check_denied(world, proxy, req("GET", "/sandbox/x", "%s.sb.test" % sid,
			    [auth(tokfor(sid))]), (want,), code)
			check_denied(world, proxy, req("GET", "/", "%d-%s.sb.test" % (world.PUB, sid)),
			    (want,), code)
		finally:
			world.delete(sid)
	# nothing listening at the target
	sid = "core4-down"
	port = dbh.free_port("127.0.0.9")
	world.put(sid, world.record("127.0.0.9", port, {world.PUB: "public"}))
	try:
		r = http(proxy.port, req("GET", "/sandbox/x", "%s.sb.test" % sid, [auth(tokfor(sid))]))
		assert r.status == 502 and r.json()["code"] == "upstream_unreachable", r
	finally:
		world.delete(sid)
	# silent upstream: 504 after the first-byte timeout
	t0 = time.monotonic()
	r = http(proxy.port, req("GET", "/slow-head", world.pub()), timeout=10)
	dt = time.monotonic() - t0
	assert r.status == 504 and r.json()["code"] == "upstream_timeout", r
	assert dbh.T_FIRST_BYTE - 0.2 <= dt <= dbh.T_FIRST_BYTE + 1.5, "504 after %.2fs" % dt


# 5 ---------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["rt", "px", "prot"])
def test_core5_upstream_view(world, proxy, tok1, kind):
	tok = tok1 if kind != "prot" else world.token("sbx1", port=world.PROT)
	host, target = {"rt": (world.rt(), "/sandbox/x"), "px": (world.px, "/sandbox/sbx1/x"),
	    "prot": (world.prot(), "/x")}[kind]
	data = req("GET", target, host, [auth(tok), ("X-Forwarded-For", "6.6.6.6"),
	    ("X-Forwarded-Proto", "https"), ("X-Forwarded-Host", "evil.example"),
	    ("X-Real-IP", "6.6.6.6"), ("Forwarded", "for=6.6.6.6")])
	r, got = one(world, proxy, data)
	q = got[0]
	assert q.header("authorization") is None, dbh.short(q.raw_head)
	assert tok.encode() not in q.raw_head
	assert q.header_all("x-forwarded-for") == ["127.0.0.1"], dbh.short(q.raw_head)
	assert q.header_all("x-forwarded-proto") == ["http"]
	assert q.header_all("x-forwarded-host") == [host]
	assert q.header("x-real-ip") is None and q.header("forwarded") is None
	assert q.header("host") == host


# 6 ---------------------------------------------------------------------------

_SHA = {}


def expected_sha(n):
	if n not in _SHA:
		_SHA[n] = dbh.pattern_sha256(n)
	return _SHA[n]


def _rss_mib(kib):
	return kib / 1024.0


@pytest.mark.slow
def test_core6_upload_2gib(world, proxy, tok1):
	size = 2 * GiB
	shat = threading.Thread(target=expected_sha, args=(size,))
	shat.start()
	head = req("PUT", "/sandbox/files/upload?path=/tmp/big", world.rt(), [auth(tok1),
	    ("Content-Length", str(size))])
	# warm-up so the baseline includes the connection and route state
	assert http(proxy.port, req("GET", "/sandbox/warm", world.rt(), [auth(tok1)])).status == 200
	c = dbh.Conn(proxy.port, timeout=60)
	err = []

	def sender():
		try:
			c.sock.sendall(head)
			mv = memoryview(dbh.PATTERN_BLOCK)
			for _ in range(size // len(dbh.PATTERN_BLOCK)):
				c.sock.sendall(mv)
		except OSError as e:
			err.append(e)
	with dbh.RssSampler(proxy.pid) as rs:
		t0 = time.monotonic()
		t = threading.Thread(target=sender, daemon=True)
		t.start()
		t.join(300)
		dt = time.monotonic() - t0
		r = c.read_response(timeout=60)
	c.close()
	shat.join()
	growth = rs.peak - rs.base
	record_result(("[asan] " if dbh.sanitized() else "") + "core6 upload 2 GiB: %.1f s, %.0f MiB/s, proxy RSS base %.1f MiB "
	    "peak %.1f MiB growth %.1f MiB" % (dt, size / dt / (1 << 20), _rss_mib(rs.base),
	    _rss_mib(rs.peak), _rss_mib(growth)))
	assert r.status == 200, "after %.1f s, sender %r: %r" % (dt, err, r)
	assert not err, err
	j = r.json()
	assert j["body_len"] == size, j
	assert j["body_sha256"] == expected_sha(size), "upload hash differs"
	if not dbh.sanitized():
		assert growth < 16 * 1024, "RSS grew %.1f MiB" % _rss_mib(growth)


@pytest.mark.slow
def test_core6_download_2gib(world, proxy, tok1):
	size = 2 * GiB
	shat = threading.Thread(target=expected_sha, args=(size,))
	shat.start()
	assert http(proxy.port, req("GET", "/sandbox/warm", world.rt(), [auth(tok1)])).status == 200
	s = socket.create_connection(("127.0.0.1", proxy.port), timeout=60)
	s.sendall(req("GET", "/sandbox/download?size=%d" % size, world.rt(), [auth(tok1)]))
	h = hashlib.sha256()
	buf = bytearray(1 << 20)
	mv = memoryview(buf)
	head = b""
	got = 0
	with dbh.RssSampler(proxy.pid) as rs:
		t0 = time.monotonic()
		while b"\r\n\r\n" not in head:
			d = s.recv(65536)
			assert d, "closed before the head"
			head += d
		head, rest = head.split(b"\r\n\r\n", 1)
		assert head.startswith(b"HTTP/1.1 200"), head
		assert b"content-length: %d" % size in head.lower(), head
		h.update(rest)
		got = len(rest)
		while got < size:
			n = s.recv_into(buf)
			if not n:
				break
			h.update(mv[:n])
			got += n
		dt = time.monotonic() - t0
	s.close()
	shat.join()
	growth = rs.peak - rs.base
	record_result(("[asan] " if dbh.sanitized() else "") + "core6 download 2 GiB: %.1f s, %.0f MiB/s, proxy RSS base %.1f MiB "
	    "peak %.1f MiB growth %.1f MiB" % (dt, size / dt / (1 << 20), _rss_mib(rs.base),
	    _rss_mib(rs.peak), _rss_mib(growth)))
	assert got == size, "got %d of %d bytes" % (got, size)
	assert h.hexdigest() == expected_sha(size), "download hash differs"
	if not dbh.sanitized():
		assert growth < 16 * 1024, "RSS grew %.1f MiB" % _rss_mib(growth)


# 7 ---------------------------------------------------------------------------

def _poll(port, data, status, timeout):
	t0 = time.monotonic()
	while True:
		r = http(port, data, timeout=5)
		dt = time.monotonic() - t0
		if r.status == status or dt > timeout:
			return r, dt
		time.sleep(0.02)


def _streak(port, data, status, n=6):
	"""n fresh connections (every worker) all answer status."""
	for _ in range(n):
		r = http(port, data, timeout=5)
		assert r.status == status, diag(data, r)


def test_core7_route_changes_live_redis(world, proxy):
	"""Route put/del (direct Redis SET + PUBLISH) visible within 1 s."""
	sid = "core7-live"
	P = world.PUB
	data = req("GET", "/x", "%d-%s.sb.test" % (P, sid))
	_streak(proxy.port, data, 404)		# negative entries in every worker
	world.put(sid, world.record("127.0.0.2", world.R, {P: "public"}))
	r, dt = _poll(proxy.port, data, 200, 1.0)
	record_result("core7 route put visible after %.3f s" % dt)
	assert r.status == 200, r
	_streak(proxy.port, data, 200)
	# unexpose: 403 within 1 s
	world.put(sid, world.record("127.0.0.2", world.R, {world.PROT: "auth"}))
	r, dt = _poll(proxy.port, data, 403, 1.0)
	assert r.status == 403, r
	_streak(proxy.port, data, 403)
	world.delete(sid)
	r, dt = _poll(proxy.port, data, 404, 1.0)
	record_result("core7 route del visible after %.3f s" % dt)
	assert r.status == 404, r
	_streak(proxy.port, data, 404)


def test_core7_route_changes_ctl(world, proxy, ctl_bin):
	sid = "core7-ctl"
	P = world.PUB
	data = req("GET", "/x", "%d-%s.sb.test" % (P, sid))
	_streak(proxy.port, data, 404)
	world.ctl("route", "put", sid, "--target", "127.0.0.2", "--runtime-port", world.R,
	    "--expose", "%d:public" % P, "--expose", str(world.PROT))
	try:
		rec = json.loads(world.ctl("route", "get", sid).stdout)
		assert rec["ports"] == {str(P): "public", str(world.PROT): "auth"}, rec
		assert sid in world.ctl("route", "list").stdout.decode().split()
		r, dt = _poll(proxy.port, data, 200, 1.0)
		assert r.status == 200, r
		_streak(proxy.port, data, 200)
		tok = world.token(sid, port=world.PROT, cache=False)
		r = http(proxy.port, req("GET", "/", "%d-%s.sb.test" % (world.PROT, sid), [auth(tok)]))
		assert r.status == 200, r
		world.ctl("route", "put", sid, "--target", "127.0.0.2", "--runtime-port", world.R,
		    "--expose", "%d:public" % P, "--status", "paused")
		r, dt = _poll(proxy.port, data, 409, 1.0)
		assert r.status == 409, r
		world.ctl("route", "put", sid, "--target", "127.0.0.2", "--runtime-port", world.R,
		    "--expose", "%d:public" % P, "--revoke-before", "now")
		r, dt = _poll(proxy.port, data, 200, 1.0)
		assert r.status == 200, r
	finally:
		world.ctl("route", "del", sid)
	r, dt = _poll(proxy.port, data, 404, 1.0)
	assert r.status == 404, r
	assert world.ctl("route", "get", sid, check=False).returncode == 1


@pytest.mark.parametrize("how", ["sigstop", "kill"])
def test_core7_redis_down(world, proxy, redis, how):
	sbx1 = req("GET", "/x", world.pub("sbx1"))
	for _ in range(12):		# cache sbx1 in every worker
		assert http(proxy.port, sbx1).status == 200
	if how == "sigstop":
		redis.sigstop()
	else:
		redis.kill()
	try:
		for _ in range(6):
			r = http(proxy.port, sbx1, timeout=5)
			assert r.status == 200, diag(sbx1, r, "cached route not served (%s)" % how)
		t0 = time.monotonic()
		r = http(proxy.port, req("GET", "/x", "%d-core7-unknown.sb.test" % world.PUB),
		    timeout=5)
		dt = time.monotonic() - t0
		assert r.status == 503 and r.header("retry-after") == "1", r
		assert dt < dbh.T_REDIS + 0.5, "503 after %.2fs" % dt
	finally:
		if how == "sigstop":
			redis.sigcont()
		else:
			redis.start()
			world.restore()
	# Redis back: a new route works without restarting the proxy
	sid = "core7-back-" + how
	data = req("GET", "/x", "%d-%s.sb.test" % (world.PUB, sid))
	world.put(sid, world.record("127.0.0.2", world.R, {world.PUB: "public"}))
	try:
		r, dt = _poll(proxy.port, data, 200, 5.0)
		record_result("core7 redis %s: new route routed %.2f s after Redis came back"
		    % (how, dt))
		assert r.status == 200, r
		# every worker reconnects on its own backoff (at most 1 s apart)
		deadline = time.monotonic() + 3.0
		while True:
			try:
				_streak(proxy.port, data, 200)
				break
			except AssertionError:
				if time.monotonic() > deadline:
					raise
				time.sleep(0.2)
	finally:
		world.delete(sid)


# 8 ---------------------------------------------------------------------------

def test_core8_framing_attacks(world, proxy):
	pub = ("Host: %s\r\n" % world.pub()).encode()
	for data, st in (
	    (b"POST / HTTP/1.1\r\n" + pub + b"Content-Length: 13\r\nTransfer-Encoding: chunked"
	     b"\r\n\r\n0\r\n\r\nSMUGGLED", (400,)),
	    (b"POST / HTTP/1.1\r\n" + pub + b"Content-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
	     (400,)),
	    (b"POST / HTTP/1.1\r\n" + pub + b"X-A: a\r\n b\r\nContent-Length: 5\r\n\r\nhello",
	     (400,)),
	    (b"GET / HTTP/1.1\r\n" + pub + b"X-Big: " + b"a" * (20 * 1024) + b"\r\n\r\n",
	     (431,)),
	    (b"GET / HTTP/1.1\r\n" + pub + b"".join(b"X-%d: v\r\n" % i for i in range(101))
	     + b"\r\n", (431,)),
	    (b"GET /" + b"a" * (9 * 1024) + b" HTTP/1.1\r\n" + pub + b"\r\n", (414,))):
		check_rej(world, proxy, data, st)


def test_core8_header_block_just_under_limit(world, proxy):
	data = req("GET", "/", world.pub(), [("X-Big", "a" * (12 * 1024))])
	r, got = one(world, proxy, data)
	assert got[0].header("x-big") == "a" * (12 * 1024)


# 9 ---------------------------------------------------------------------------

def test_core9_keepalive_1000(world, proxy, tok1, tok2):
	lst = {s: world.listener(s, "runtime") for s in ("sbx1", "sbx2")}
	before = {s: l.nconns() for s, l in lst.items()}
	toks = {"sbx1": tok1, "sbx2": tok2}
	c = dbh.Conn(proxy.port)
	t0 = time.monotonic()
	try:
		for i in range(1000):
			s = ("sbx1", "sbx2")[i % 2]
			c.send(req("GET", "/sandbox/ka/%d?i=%d" % (i, i), world.rt(s), [auth(toks[s])]))
			r = c.read_response()
			assert r.status == 200, "request %d: %r" % (i, r)
			j = r.json()
			assert j["listener"] == s + "/runtime" and j["target"] == "/sandbox/ka/%d?i=%d" % (i, i), j
			assert not any(n.lower() == "authorization" for n, _ in j["headers"])
			assert not r.closed
	finally:
		c.close()
	dt = time.monotonic() - t0
	new = {s: lst[s].nconns() - before[s] for s in lst}
	record_result("core9 1000 keep-alive requests: %.2f s (%.0f req/s), upstream "
	    "connections opened: %s" % (dt, 1000 / dt, new))
	for s, n in new.items():
		assert n <= 4, "%s: %d upstream connections for 500 requests" % (s, n)

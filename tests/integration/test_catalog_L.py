"""Catalog group L: upstream failures and misbehaviour (plus the hostile
response heads of group G that the core proxy must turn into 502).

Spy paths (dbh.Spy._handle): /close-mid-head, /rst, /early-413,
/ignore-close, /trickle, /stream, /download, /chunked-tiny, /evil/<name>.
"""

import socket
import threading
import time

import pytest

import dbh
from dbh import diag, http, req


def pub(world, target, method="GET", body=None, sid="sbx1", headers=()):
	return req(method, target, world.pub(sid), headers, body)


def test_L01_connection_refused(world, proxy):
	sid = "l01-refused"
	port = dbh.free_port("127.0.0.6")
	world.put(sid, world.record("127.0.0.6", world.R, {port: "public"}))
	try:
		time.sleep(0.1)
		data = req("GET", "/x", "%d-%s.sb.test" % (port, sid))
		http(proxy.port, data)	# warm the route cache
		t0 = time.monotonic()
		r = http(proxy.port, data)
		dt = time.monotonic() - t0
		assert r.status == 502, diag(data, r)
		assert (r.json() or {}).get("code") == "upstream_unreachable", r
		assert dt < 0.5, "502 took %.3fs" % dt
	finally:
		world.delete(sid)


def test_L02_syn_never_answered(world, proxy):
	ip = "127.0.0.7"
	ls = socket.socket()
	ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
	ls.bind((ip, 0))
	ls.listen(0)
	port = ls.getsockname()[1]
	fill = []
	try:
		for _ in range(4):
			s = socket.socket()
			s.setblocking(False)
			s.connect_ex((ip, port))
			fill.append(s)
		time.sleep(0.1)
		sid = "l02-syn"
		world.put(sid, world.record(ip, world.R, {port: "public"}))
		time.sleep(0.1)
		data = req("GET", "/x", "%d-%s.sb.test" % (port, sid))
		t0 = time.monotonic()
		r = http(proxy.port, data, timeout=10)
		dt = time.monotonic() - t0
		assert r.status == 504, diag(data, r)
		assert dbh.T_CONNECT * 0.8 <= dt <= dbh.T_CONNECT + 1.5, "took %.2fs" % dt
	finally:
		world.delete("l02-syn")
		for s in fill:
			s.close()
		ls.close()


@pytest.fixture
def idle_proxy(drawbridge):
	return drawbridge(overrides={"timeout-upstream-idle": "2s"})


def test_L04_trickle_continues(world, idle_proxy):
	"""1 byte every 0.8 s (< idle 2 s): the transfer completes."""
	data = pub(world, "/trickle?n=4&every=0.8")
	r = http(idle_proxy.port, data, timeout=10)
	assert r.status == 200 and r.body == b"xxxx" and not r.truncated, diag(data, r)


def test_L04_trickle_cut_at_idle(world, idle_proxy):
	"""1 byte then nothing for 4 s (> idle 2 s): a truncated transfer."""
	data = pub(world, "/trickle?n=2&every=4")
	t0 = time.monotonic()
	r = http(idle_proxy.port, data, timeout=10)
	dt = time.monotonic() - t0
	assert r.status in (200, 504), diag(data, r)
	if r.status == 200:
		assert r.truncated and r.closed, diag(data, r, "not truncated")
	assert dt < 4.0 + 1.0, "took %.2fs (idle timeout 2 s)" % dt


def test_L05_close_mid_headers(world, proxy):
	data = pub(world, "/close-mid-head")
	r = http(proxy.port, data)
	assert r.status == 502, diag(data, r)


@pytest.mark.parametrize("method", ["POST", "PUT", "GET"])
def test_L06_reset_after_request(world, proxy, method):
	body = b"hello" if method != "GET" else None
	data = pub(world, "/rst", method, body)
	m0 = world.spy.mark()
	r = http(proxy.port, data)
	time.sleep(0.1)
	assert r.status == 502, diag(data, r)
	n = sum(1 for q in world.spy.since(m0) if q.target == "/rst")
	assert n == 1 or (method == "GET" and n <= 2), \
	    "%s retried %d times" % (method, n)


def test_L07_early_response_during_upload(world, proxy):
	size = 100 << 20
	head = pub(world, "/early-413", "PUT").replace(
	    b"\r\n\r\n", b"\r\nContent-Length: %d\r\n\r\n" % size, 1)
	m0 = world.spy.mark()
	c = dbh.Conn(proxy.port, timeout=10)
	sent = [0]
	base = dbh.proc_rss_kib(proxy.pid)

	def sender():
		blk = b"u" * (1 << 20)
		try:
			c.sock.sendall(head)
			for _ in range(100):
				c.sock.sendall(blk)
				sent[0] += len(blk)
		except OSError:
			pass
	t = threading.Thread(target=sender, daemon=True)
	t.start()
	try:
		r = c.read_response(timeout=5)
		assert r.status == 413, diag(head, r)
		assert r.elapsed < 3.0, "413 took %.2fs" % r.elapsed
		rss = dbh.proc_rss_kib(proxy.pid)
	finally:
		c.close()
		t.join(5)
	assert dbh.sanitized() or rss - base < 16 * 1024, "proxy RSS grew %d KiB (buffered the upload?)" % (rss - base)
	# the upstream connection was closed, not pooled
	deadline = time.monotonic() + 5
	q = [q for q in world.spy.since(m0) if q.target == "/early-413"][0]
	lst = [l for l in world.spy.listeners if l.name == q.listener][0]
	conn = lst.conns[q.conn]
	while not conn.closed and time.monotonic() < deadline:
		time.sleep(0.05)
	assert conn.closed, "upstream connection kept open after the early answer"
	assert conn.nbytes < 64 << 20, "proxy kept streaming %d bytes" % conn.nbytes


def test_L09_upstream_ignores_connection_close(world, proxy):
	lst = world.listener("sbx1", "pub")
	c = dbh.Conn(proxy.port)
	try:
		c.send(pub(world, "/ignore-close"))
		r = c.read_response()
		assert r.status == 200, r
		first = r.json()["conn"]
		c.send(pub(world, "/after"))
		r2 = c.read_response()
		assert r2.status == 200, r2
		assert r2.json()["conn"] != first, "reused a connection the upstream said to close"
	finally:
		c.close()
	assert len(lst.conns[first].requests) == 1


def test_L10a_sandbox_disappears_in_flight(world, proxy, spy):
	sid = "l10a-gone"
	ip = "127.0.0.8"
	P = dbh.common_free_port([ip])
	lst = spy.listen(ip, P, "l10a")
	world.put(sid, world.record(ip, world.R, {P: "public"}))
	time.sleep(0.1)
	host = "%d-%s.sb.test" % (P, sid)
	c = dbh.Conn(proxy.port)
	try:
		c.send(req("GET", "/slow-head", host))
		time.sleep(0.3)
		world.delete(sid)
		lst.close()
		r = c.read_response(timeout=5)
		assert r.status == 502 or (r.status is None and r.closed), r
	finally:
		c.close()
	deadline = time.monotonic() + 2
	while True:
		r = http(proxy.port, req("GET", "/x", host))
		if r.status == 404 or time.monotonic() > deadline:
			break
		time.sleep(0.05)
	assert r.status == 404, r


def test_L10b_stream_upstream_dies(world, proxy, spy):
	ip = "127.0.0.8"
	P = dbh.common_free_port([ip])
	lst = spy.listen(ip, P, "l10b")
	sid = "l10b-gone"
	world.put(sid, world.record(ip, world.R, {P: "public"}))
	time.sleep(0.1)
	host = "%d-%s.sb.test" % (P, sid)
	c = dbh.Conn(proxy.port)
	try:
		c.send(req("GET", "/stream?every=0.1&count=100", host))
		time.sleep(0.5)
		lst.close()
		world.delete(sid)
		r = c.read_response(timeout=5)
		assert r.status == 200 and r.truncated and r.closed, r
	finally:
		c.close()


@pytest.mark.skip(reason="issue H: WebSocket tunnels")
def test_L10c_ws_tunnel_sandbox_disappears():
	pass


def test_L10d_download_upstream_dies(world, proxy, spy):
	ip = "127.0.0.8"
	P = dbh.common_free_port([ip])
	lst = spy.listen(ip, P, "l10d")
	sid = "l10d-gone"
	world.put(sid, world.record(ip, world.R, {P: "public"}))
	time.sleep(0.1)
	host = "%d-%s.sb.test" % (P, sid)
	c = dbh.Conn(proxy.port, timeout=10)
	try:
		c.send(req("GET", "/download?size=%d" % (1 << 30), host))
		got = 0
		while got < (8 << 20):
			d = c._recv(5)
			if not d:
				break
			got += len(d)
		lst.close()
		world.delete(sid)
		t0 = time.monotonic()
		while time.monotonic() - t0 < 8:
			d = c._recv(8)
			if not d:
				break
			got += len(d)
		assert c.eof, "client connection not closed after the upstream died"
		assert got < (1 << 30), "got the whole body?"
	finally:
		c.close()


def test_L11_many_tiny_chunks(world, proxy):
	data = pub(world, "/chunked-tiny?n=100000")
	t0 = time.monotonic()
	r = http(proxy.port, data, timeout=15)
	dt = time.monotonic() - t0
	assert r.status in (200, 502), diag(data, r)
	if r.status == 200:
		assert r.body == b"x" * 100000 and not r.truncated, diag(data, r)
	assert dt < 5, "100k one-byte chunks took %.2fs" % dt


def test_L_chunked_response_relayed(world, proxy):
	r = http(proxy.port, pub(world, "/chunked"))
	assert r.status == 200 and r.body == b"hello chunked world", r


def test_L_big_download_small(world, proxy):
	n = 5 * 1024 * 1024 + 7
	r = http(proxy.port, pub(world, "/download?size=%d" % n), timeout=20)
	assert r.status == 200 and len(r.body) == n
	import hashlib
	assert hashlib.sha256(r.body).hexdigest() == dbh.pattern_sha256(n)


@pytest.mark.parametrize("name", sorted(dbh.EVIL))
def test_L_evil_response_head(world, proxy, name):
	"""Hostile response framing -> 502 upstream_bad_response (or a closed
	client connection if the head was already relayed), never relayed
	as-is, and the upstream connection is not reused."""
	data = pub(world, "/evil/" + name)
	r = http(proxy.port, data, timeout=8)
	assert r.status == 502, diag(data, r)
	assert (r.json() or {}).get("code") == "upstream_bad_response", r
	# the proxy still works afterwards for the same sandbox/port
	r2 = http(proxy.port, pub(world, "/after-evil"))
	assert r2.status == 200, r2

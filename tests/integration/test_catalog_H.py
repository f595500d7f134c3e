"""Catalog group H: WebSocket and other Upgrades (security-catalog.md).

Upstreams: stream_upstreams.py (st1/st2/st3; RAW_* raw server paths
/ws/echo, /ws/lenient, /ws/bad101/<kind>, /ws/flood, /ws/slowread,
/ws/close, /evil101, /refuse).  Sizes are scaled to the CI box (noted per
test); RSS bounds are asserted on a non-sanitized binary only.
H02's cookie half belongs to the browser-session issue and is not here.
"""

import asyncio
import os
import select
import socket
import struct
import time

import pytest

import dbh
from stream_upstreams import (MIB, lay, sproxy, is_sanitized,  # noqa: F401
    raw_ws_open, read_head, wait_closed, wait_for, ws_connect, ws_frame,
    ws_handshake, WsFrames)


def _tag(name):
	return "%s-%d" % (name, time.monotonic_ns())


def _cpu_ticks(pid):
	with open("/proc/%d/stat" % pid) as f:
		parts = f.read().rsplit(")", 1)[1].split()
	return int(parts[11]) + int(parts[12])


def test_H01_ws_to_unexposed_port(world, proxy, lay):
	u = lay.wsl("WS_U")
	before = u.tcp
	s, st, hs, rest = raw_ws_open(proxy.port, lay.host("WS_U"), "/echo",
	    [dbh.auth(world.token("st1"))])
	s.close()
	time.sleep(0.1)
	assert st == 403, st
	assert u.tcp == before, "the unexposed port got a connection"


def test_H02_protected_port_without_then_with_credentials(world, proxy, lay):
	a = lay.wsl("WS_A")
	before = a.tcp
	s, st, hs, rest = raw_ws_open(proxy.port, lay.host("WS_A"), "/echo")
	s.close()
	time.sleep(0.1)
	assert st == 401, st
	assert ("www-authenticate", 'Bearer realm="drawbridge"') in hs or any(
	    n == "www-authenticate" for n, v in hs), hs
	assert a.tcp == before
	s, st, hs, rest = raw_ws_open(proxy.port, lay.host("WS_A"), "/echo",
	    [dbh.auth(world.token("st1"))])
	s.close()
	assert st == 101, st


@pytest.mark.parametrize("status", [200, 426, 403])
def test_H04_bytes_after_upgrade_before_101(world, proxy, lay, status):
	host = lay.host("RAW_P")
	l = lay.rawl("RAW_P")
	m = len(l.requests)
	data, _ = ws_handshake(host, "/refuse?status=%d" % status)
	data += dbh.req("GET", "/admin", host)
	c = dbh.Conn(proxy.port)
	try:
		c.send(data)
		r1 = c.read_response()
		assert r1.status == status, r1
		r2 = c.read_response(timeout=3)
	finally:
		c.close()
	time.sleep(0.1)
	got = l.requests[m:]
	# every request the upstream saw was re-serialised by the proxy
	for q in got:
		assert q.header("x-forwarded-for") is not None, (
		    "raw client bytes reached the upstream: %s" % dbh.short(q.raw_head))
	if r2.status is not None:
		assert r2.status == 200, r2
		assert [q.target for q in got] == ["/refuse?status=%d" % status,
		    "/admin"], [q.target for q in got]
	else:
		assert r2.closed, r2	# the proxy may close instead
		assert [q.target for q in got][1:] == []


def test_H04_protected_second_request_needs_credentials(world, proxy, lay):
	host = lay.host("RAW_A")
	l = lay.rawl("RAW_A")
	m = len(l.requests)
	data, _ = ws_handshake(host, "/refuse?status=200",
	    [dbh.auth(world.token("st1"))])
	data += dbh.req("GET", "/admin", host)
	c = dbh.Conn(proxy.port)
	try:
		c.send(data)
		r1 = c.read_response()
		assert r1.status == 200, r1
		r2 = c.read_response(timeout=3)
	finally:
		c.close()
	time.sleep(0.1)
	assert r2.status in (401, None), r2
	assert [q.target for q in l.requests[m:]] == ["/refuse?status=200"]


def test_H05_101_without_client_upgrade(world, proxy, lay):
	data = dbh.req("GET", "/evil101", lay.host("RAW_P"))
	r = dbh.http(proxy.port, data, timeout=5)
	assert r.status == 502, r
	assert b"tunnel bytes" not in r.raw, r


@pytest.mark.parametrize("kind", ["h2c", "noupgrade", "badaccept",
    "noaccept"])
def test_H06_bad_101(world, proxy, lay, kind):
	s, st, hs, rest = raw_ws_open(proxy.port, lay.host("RAW_P"),
	    "/ws/bad101/" + kind)
	s.close()
	assert st == 502, "bad 101 (%s) relayed as %s %r" % (kind, st, hs)


H07 = {
	# name: (handshake kwargs, extra header lines, body, must be 400)
	"no key": (dict(key=False), [], None, True),
	"two keys": (dict(), [("Sec-WebSocket-Key", "AQIDBAUGBwgJCgsMDQ4PEA==")],
	    None, True),
	"version 8": (dict(version="8"), [], None, True),
	"websocket, h2c": (dict(upgrade="websocket, h2c"), [], None, False),
	"Connection: keep-alive": (dict(connection="keep-alive"), [], None,
	    False),
	"HTTP/1.0": (dict(http="HTTP/1.0"), [], None, False),
	"POST": (dict(method="POST"), [], None, False),
	"with a body": (dict(), [("Content-Length", "5")], b"hello", True),
}


@pytest.mark.parametrize("name", list(H07))
def test_H07_malformed_client_handshake(world, proxy, lay, name):
	kw, hdrs, body, must400 = H07[name]
	l = lay.rawl("RAW_P")
	m = len(l.requests)
	data, _ = ws_handshake(lay.host("RAW_P"), "/ws/lenient", hdrs, **kw)
	if body:
		data += body
	s = socket.create_connection(("127.0.0.1", proxy.port), timeout=5)
	try:
		s.sendall(data)
		st, hs, rest = read_head(s)
	finally:
		s.close()
	time.sleep(0.1)
	got = l.requests[m:]
	assert st != 101, "%s: upgraded (upstream saw %s)" % (name,
	    [dbh.short(q.raw_head, 300) for q in got])
	if must400:
		assert st == 400, "%s: %s" % (name, st)
	else:
		assert st in (200, 400), "%s: %s" % (name, st)
		for q in got:
			assert "upgrade" not in q.names(), dbh.short(q.raw_head)


def test_H09_backpressure_upstream_to_client(world, lay, sproxy, results):
	"""Catalog: 1 GiB at full speed, client 64 KiB/s for 30 s.  Here: the
	upstream offers 1 GiB, the client reads 64 KiB every 250 ms for 5 s."""
	p = sproxy(release=True)
	san = is_sanitized(p.binary)
	tag = _tag("h09")
	rec = lay.ups.rec(tag)
	s, st, hs, rest = raw_ws_open(p.port, lay.host("RAW_P"),
	    "/ws/flood?mb=1024&tag=" + tag)
	n = len(rest)
	try:
		assert st == 101, st
		with dbh.RssSampler(p.pid, 0.1) as rs:
			end = time.monotonic() + 5.0
			while time.monotonic() < end:
				d = s.recv(65536)
				assert d, "closed during the slow phase"
				n += len(d)
				time.sleep(0.25)
		sent = rec.bytes_sent
	finally:
		s.close()
	t_close = time.monotonic()
	gone = wait_for(rec.gone, 3.0)
	growth = rs.peak - rs.base
	results("H09 WS upstream->client backpressure%s: RSS growth %d KiB; "
	    "upstream sent %.1f MiB, client read %.1f MiB; upstream closed "
	    "%.2fs after the client" % (" [ASan]" if san else "", growth,
	    sent / MIB, n / MIB, (rec.t_gone - t_close) if gone else -1))
	assert sent - n < 32 * MIB, "upstream not throttled"
	assert gone and rec.t_gone - t_close < 1.0, "upstream not closed within 1 s"
	if not san:
		assert growth < 16 * 1024, "RSS grew %d KiB" % growth


def test_H10_backpressure_client_to_upstream(world, lay, sproxy, results):
	"""Catalog: 1 GiB of 2-byte masked frames.  Here: as many as the
	proxy takes in 5 s while the upstream reads 64 KiB per 100 ms."""
	p = sproxy(release=True)
	san = is_sanitized(p.binary)
	tag = _tag("h10")
	rec = lay.ups.rec(tag)
	s, st, hs, rest = raw_ws_open(p.port, lay.host("RAW_P"),
	    "/ws/slowread?tag=" + tag)
	buf = ws_frame(b"ab") * (MIB // 8)
	sent = 0
	try:
		assert st == 101, st
		s.setblocking(False)
		cpu0 = _cpu_ticks(p.pid)
		t0 = time.monotonic()
		with dbh.RssSampler(p.pid, 0.1) as rs:
			off = 0
			while time.monotonic() - t0 < 5.0:
				_, w, _ = select.select([], [s], [], 0.1)
				if not w:
					continue
				try:
					k = s.send(buf[off:off + 65536] if off + 65536 <= len(buf)
					    else buf[off:])
				except BlockingIOError:
					continue
				sent += k
				off = (off + k) % len(buf)
		wall = time.monotonic() - t0
		cpu = (_cpu_ticks(p.pid) - cpu0) / os.sysconf("SC_CLK_TCK") / wall
		recv = rec.bytes_recv
	finally:
		s.close()
	growth = rs.peak - rs.base
	results("H10 WS client->upstream backpressure%s: RSS growth %d KiB; "
	    "client sent %.1f MiB, upstream read %.1f MiB; proxy CPU %.0f%%" % (
	    " [ASan]" if san else "", growth, sent / MIB, recv / MIB, cpu * 100))
	assert sent - recv < 32 * MIB, "client not throttled"
	assert cpu < 1.0
	if not san:
		assert growth < 16 * 1024, "RSS grew %d KiB" % growth


def test_H11_idle_and_active_tunnels(world, lay, sproxy):
	"""T_stream = 1 s: the idle tunnel closes at ~1 s; one exchanging
	ping frames every 0.3 s lives through 3 x T_stream."""
	p = sproxy(extra=["timeout-stream-idle 1s"])
	tok = world.token("st1")

	async def go():
		idle = await ws_connect(p.port, lay.rt("st1"), "/hold", tok)
		busy = await ws_connect(p.port, lay.rt("st1"), "/hold", tok)
		t0 = time.monotonic()
		closed = None
		while time.monotonic() - t0 < 3.5:
			pong = await busy.ping()
			await asyncio.wait_for(pong, 2)
			if closed is None and idle.closed:
				closed = time.monotonic() - t0
			await asyncio.sleep(0.3)
		ok = busy.open
		await asyncio.gather(idle.close(), busy.close())
		assert ok, "the active tunnel was closed"
		assert closed is not None and 0.7 <= closed <= 2.5, (
		    "idle tunnel closed after %s s" % closed)
	asyncio.run(asyncio.wait_for(go(), 30))


def test_H12_teardown_propagation_and_fds(world, lay, sproxy, results):
	"""Catalog: 1000 cycles.  Here: 50 cycles of each of client RST,
	upstream RST, client FIN and upstream FIN."""
	p = sproxy()
	host = lay.host("RAW_P")
	base = p.fds()
	slow = []
	for mode in ("client-fin", "client-rst", "upstream-fin", "upstream-rst"):
		for i in range(50):
			tag = _tag("h12")
			rec = lay.ups.rec(tag)
			how = {"upstream-fin": "fin", "upstream-rst": "rst"}.get(mode,
			    "wait")
			s, st, hs, rest = raw_ws_open(p.port, host,
			    "/ws/close?how=%s&tag=%s" % (how, tag))
			assert st == 101, (mode, i, st)
			fr = ws_frame(b"cycle %d" % i)
			s.sendall(fr)
			got = rest
			s.settimeout(2)
			while len(got) < len(fr):
				d = s.recv(65536)
				assert d, (mode, i, "closed before the echo")
				got += d
			assert got[:len(fr)] == fr, (mode, i)
			if mode.startswith("client"):
				if mode == "client-rst":
					s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
					    struct.pack("ii", 1, 0))
				t0 = time.monotonic()
				s.close()
				if not wait_for(rec.gone, 1.0, step=0.005):
					slow.append("%s #%d: upstream still open after 1 s" % (
					    mode, i))
			else:
				dt = wait_closed(s, 1.0)
				s.close()
				if dt is None:
					slow.append("%s #%d: client still open after 1 s" % (
					    mode, i))
	ok = wait_for(lambda: p.fds() <= base + 2, dbh.T_IDLE + 2)
	results("H12 200 tunnel teardowns: %d slow; proxy fds %d -> %d" % (
	    len(slow), base, p.fds()))
	assert not slow, slow[:5]
	assert ok, "proxy fds %d, baseline %d" % (p.fds(), base)

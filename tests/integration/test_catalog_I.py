"""Catalog group I: Server-Sent Events and long-lived streaming.

Upstream: stream_upstreams.py raw server (/sse, /sse-idle, /sse-flood,
.../stream, uploads with ?slow=S).  Durations are scaled to the CI box
(noted per test); RSS and CPU bounds are asserted on a non-sanitized binary.
"""

import asyncio
import os
import socket
import threading
import time

import pytest

import dbh
from stream_upstreams import (MIB, lay, sproxy, is_sanitized,  # noqa: F401
    raise_nofile, read_head, wait_closed, wait_for)


def _tag(name):
	return "%s-%d" % (name, time.monotonic_ns())


def _cpu_ticks(pid):
	with open("/proc/%d/stat" % pid) as f:
		parts = f.read().rsplit(")", 1)[1].split()
	return int(parts[11]) + int(parts[12])


def _open(port, host, target, headers=()):
	s = socket.create_connection(("127.0.0.1", port), timeout=5)
	s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
	s.sendall(dbh.req("GET", target, host, list(headers)))
	st, hs, rest = read_head(s)
	return s, st, dict(hs), rest


def _stamps(buf):
	"""(id, upstream send time) of every complete event in buf."""
	out = []
	for ev in buf.split(b"\n\n")[:-1]:
		for line in ev.split(b"\n"):
			if line.startswith(b"data: "):
				i, t = line[6:].split()
				out.append((int(i), float(t)))
	return out


def test_I01_no_buffering(world, proxy, lay):
	"""Catalog: one event per second for 120 s.  Here: one every 0.5 s
	for 7 s, longer than every total deadline the test config has
	(header 2 s, first byte 3 s) and than the upstream idle timeout."""
	s, st, hs, rest = _open(proxy.port, lay.host("RAW_P"),
	    "/sse?every=0.5&count=14&tag=" + _tag("i01"))
	lat = []
	buf = rest
	now = time.monotonic()
	ev = _stamps(buf.replace(b"\r\n", b"\n"))
	lat += [(now - t) * 1000 for i, t in ev]
	seen = len(ev)
	try:
		assert st == 200, st
		s.settimeout(3)
		while seen < 14:
			d = s.recv(65536)
			assert d, "stream cut after %d events" % seen
			now = time.monotonic()
			buf += d
			ev = _stamps(buf.replace(b"\r\n", b"\n"))
			for i, t in ev[seen:]:
				lat.append((now - t) * 1000)
			seen = len(ev)
	finally:
		s.close()
	assert max(lat) < 100, "event latencies (ms): %s" % [round(x) for x in lat]


def test_I02_idle_sse(world, lay, sproxy):
	"""T_stream = 1 s: headers, then silence; both sides are closed and
	the client sees no terminating chunk."""
	p = sproxy(extra=["timeout-stream-idle 1s"])
	tag = _tag("i02")
	rec = lay.ups.rec(tag)
	s, st, hs, rest = _open(p.port, lay.host("RAW_P"), "/sse-idle?tag=" + tag)
	body = rest
	t0 = time.monotonic()
	try:
		assert st == 200
		s.settimeout(8)
		while True:
			try:
				d = s.recv(65536)
			except ConnectionResetError:
				d = b""
			if not d:
				break
			body += d
	except socket.timeout:
		pytest.fail("idle event stream still open after 8 s")
	finally:
		s.close()
	dt = time.monotonic() - t0
	assert b"0\r\n\r\n" not in body, "a terminating chunk was sent"
	assert wait_for(rec.gone, 2.0), "upstream side not closed"
	assert dt <= 2.5, "closed after %.2fs (T_stream 1 s)" % dt


def test_I04_slow_sse_reader(world, lay, sproxy, results):
	"""Catalog: 10 MB/s offered, 10 KB/s read for 60 s.  Here: events as
	fast as the socket takes them, 16 KiB read every 100 ms for 5 s."""
	p = sproxy(release=True)
	san = is_sanitized(p.binary)
	tag = _tag("i04")
	rec = lay.ups.rec(tag)
	s, st, hs, rest = _open(p.port, lay.host("RAW_P"), "/sse-flood?tag=" + tag)
	n = len(rest)
	try:
		assert st == 200
		with dbh.RssSampler(p.pid, 0.1) as rs:
			end = time.monotonic() + 5.0
			while time.monotonic() < end:
				d = s.recv(16384)
				assert d
				n += len(d)
				time.sleep(0.1)
		sent = rec.bytes_sent
	finally:
		s.close()
	growth = rs.peak - rs.base
	results("I04 slow SSE reader%s: RSS growth %d KiB; upstream sent %.1f "
	    "MiB, client read %.2f MiB" % (" [ASan]" if san else "", growth,
	    sent / MIB, n / MIB))
	assert sent - n < 32 * MIB, "upstream not throttled"
	assert wait_for(rec.gone, 2.0), "upstream not closed after the client left"
	if not san:
		assert growth < 16 * 1024, "RSS grew %d KiB" % growth


def test_I05_many_concurrent_streams(world, lay, sproxy, results):
	"""Catalog: 1000 streams, one event per 5 s each.  Here: 1000
	streams (spread over st1..st3), one event per second each, 6 s."""
	raise_nofile(20000)
	p = sproxy(overrides={"max-connections": "10000"},
	    extra=["max-streams-per-sandbox 0"], release=True)
	san = is_sanitized(p.binary)
	n = 1000
	# warm both workers' route caches: this case is about steady streams
	for _ in range(8):
		for sid in ("st1", "st2", "st3"):
			dbh.http(p.port, dbh.req("GET", "/warm", lay.host("RAW_P", sid)))
	lat = []
	byidx = {}
	statuses = []

	async def one(i):
		sid = ("st1", "st2", "st3")[i % 3]
		r, w = await asyncio.open_connection("127.0.0.1", p.port)
		w.write(dbh.req("GET", "/sse?every=1&count=6&tag=i05-%d" % i,
		    lay.host("RAW_P", sid)))
		head = await r.readuntil(b"\r\n\r\n")
		statuses.append(int(head.split(b" ", 2)[1]))
		buf = b""
		k = 0
		while True:
			d = await r.read(65536)
			if not d:
				break
			now = time.monotonic()
			buf += d
			for ev in buf.split(b"\n\n")[:-1]:
				for line in ev.split(b"\n"):
					if line.startswith(b"data: "):
						lat.append((now - float(line.split()[2])) * 1000)
						byidx.setdefault(k, []).append(lat[-1])
						k += 1
			buf = buf[buf.rfind(b"\n\n") + 2:] if b"\n\n" in buf else buf
			if b"0\r\n\r\n" in d:
				break
		w.close()

	async def go():
		cpu0 = _cpu_ticks(p.pid)
		t0 = time.monotonic()
		peak = 0
		tasks = [asyncio.ensure_future(one(i)) for i in range(n)]
		while not all(t.done() for t in tasks):
			await asyncio.sleep(0.5)
			peak = max(peak, p.rss())
		for t in tasks:
			t.result()
		wall = time.monotonic() - t0
		return peak, (_cpu_ticks(p.pid) - cpu0) / os.sysconf("SC_CLK_TCK") / wall
	peak, cpu = asyncio.run(asyncio.wait_for(go(), 90))
	lat.sort()
	p99 = lat[int(len(lat) * 0.99) - 1] if lat else -1
	results("I05 %d concurrent SSE streams%s: %d events, p50 %.1f ms, p99 "
	    "%.1f ms, max %.1f ms; proxy RSS peak %d KiB; proxy CPU %.0f%%" % (
	    n, " [ASan]" if san else "", len(lat), lat[len(lat) // 2] if lat
	    else -1, p99, lat[-1] if lat else -1, peak, cpu * 100))
	assert statuses.count(200) == n, "statuses: %s" % sorted(set(statuses))
	assert len(lat) == 6 * n, "%d of %d events" % (len(lat), 6 * n)
	assert p99 < 250, "p99 %.1f ms" % p99
	if not san:
		assert peak < 256 * 1024, "RSS %d KiB" % peak
		assert cpu < 0.2, "proxy CPU %.0f%%" % (cpu * 100)


@pytest.mark.parametrize("form", ["runtime", "path-host"])
def test_I06_sse_replay_path_auth(world, proxy, lay, form):
	host, target = {
	    "runtime": (lay.rt("st3"), "/sandbox/processes/p1/stream"),
	    "path-host": (dbh.PATH_HOST, "/sandbox/st3/processes/p1/stream"),
	}[form]
	target += "?from_seq=5&every=0.05&count=3"
	l = lay.rawl("RAW_R", "st3")
	m = len(l.requests)
	r = dbh.http(proxy.port, dbh.req("GET", target, host,
	    [dbh.auth(world.token("st3"))]))
	assert r.status == 200, r
	assert r.header("content-type") == "text/event-stream", r
	assert b"id: 2\n" in r.body, r
	got = l.requests[m:]
	assert [q.target for q in got] == [
	    "/sandbox/processes/p1/stream?from_seq=5&every=0.05&count=3"], got
	m = len(l.requests)
	r = dbh.http(proxy.port, dbh.req("GET", target, host,
	    [dbh.auth(world.token("st1"))]))
	assert r.status == 401, r
	assert len(l.requests) == m


def test_I07_streaming_request_body(world, lay, sproxy, results):
	"""Catalog: 512 MiB chunked to a presigned PUT at 50 MB/s.  Here:
	256 MiB with Content-Length to a public port whose upstream reads
	64 KiB per 20 ms for 5 s, then at full speed."""
	p = sproxy(release=True)
	san = is_sanitized(p.binary)
	size = 256 * MIB
	tag = _tag("i07")
	rec = lay.ups.rec(tag)
	host = lay.host("RAW_P")
	c = dbh.Conn(p.port, timeout=60)
	res = {}

	def send():
		head = dbh.req("PUT", "/upload?slow=5&tag=" + tag, host,
		    [("Content-Length", str(size))])
		try:
			c.sock.sendall(head)
			blk = memoryview(dbh.PATTERN_BLOCK)
			for _ in range(size // len(blk)):
				c.sock.sendall(blk)
			res["sent"] = True
		except OSError as e:
			res["err"] = e
	t = threading.Thread(target=send, daemon=True)
	with dbh.RssSampler(p.pid, 0.1) as rs:
		t.start()
		t.join(90)
		r = c.read_response(timeout=30)
	c.close()
	growth = rs.peak - rs.base
	results("I07 256 MiB upload to a slow upstream%s: RSS growth %d KiB" % (
	    " [ASan]" if san else "", growth))
	assert res.get("sent"), res
	assert r.status == 200 and r.body == b"stored", r
	assert rec.bytes_recv == size
	if not san:
		assert growth < 32 * 1024, "RSS grew %d KiB" % growth

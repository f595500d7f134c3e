"""Drawbridge integration-test helpers (imported by conftest.py and the tests).

Everything here talks to real processes over loopback sockets:

  free_port()          a port the kernel just handed out (bind 0, read, close)
  RedisServer          a throw-away redis-server with stop/cont/kill/restart
  Resp                 a tiny RESP client (route records are written directly)
  Spy                  asyncio raw-socket HTTP/1.1 upstream(s) in a thread that
                       record every byte and every request head
  FakeRedis            an asyncio RESP server with scripted hostile replies
  Proxy                one drawbridge process with a generated config
  World                the standard sandboxes (sbx1, sbx2, a UUID one) with
                       their spy listeners and Redis records
  Conn / http()        the raw client: exact bytes in, parsed response out
  mint() / raw_jwt()   python-jwt based token minting, good and malicious

Run with Debian's /usr/bin/python3 only.
"""

import asyncio
import base64
import hashlib
import hmac
import json
import os
import random
import re
import signal
import socket
import struct
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

REPO = Path(__file__).resolve().parents[2]


def _bin(env, default):
	p = Path(os.environ.get(env, default))
	if not p.is_absolute():
		p = REPO / p
	return p


DRAWBRIDGE_BIN = _bin("DRAWBRIDGE_BIN", "build/drawbridge")
DRAWBRIDGECTL_BIN = _bin("DRAWBRIDGECTL_BIN", "build/drawbridgectl")

DOMAIN = "sb.test"
PATH_HOST = "proxy.sb.test"
AUDIENCE = "drawbridge"
KID = "dev"
BAD_LOG = ("AddressSanitizer", "runtime error:", "LeakSanitizer",
    ": fatal:")

# Test-mode knobs (catalog 4.3) that tests reason about.
T_HDR = 2.0
T_IDLE = 5.0
T_BODY = 2.0
T_CONNECT = 1.0
T_FIRST_BYTE = 3.0
T_UP_IDLE = 5.0
T_REDIS = 0.2
MAX_HEADER_BYTES = 16 * 1024


_SAN = {}


def sanitized():
	"""Is the drawbridge binary built with ASan?  (Its quarantine keeps
	freed memory, so RSS bounds are reported but not asserted.)"""
	if "v" not in _SAN:
		try:
			_SAN["v"] = b"__asan_init" in DRAWBRIDGE_BIN.read_bytes()
		except OSError:
			_SAN["v"] = False
	return _SAN["v"]


def free_port(host="127.0.0.1"):
	s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
	try:
		s.bind((host, 0))
		return s.getsockname()[1]
	finally:
		s.close()


def port_free_on(port, hosts):
	socks = []
	try:
		for h in hosts:
			s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
			socks.append(s)
			s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
			s.bind((h, port))
		return True
	except OSError:
		return False
	finally:
		for s in socks:
			s.close()


def common_free_port(hosts, avoid=()):
	"""A port number free on every address in hosts (for exposed ports,
	which the route record maps to target:P for every sandbox)."""
	for _ in range(200):
		p = free_port()
		if p in avoid or p == 4001:
			continue
		if port_free_on(p, hosts):
			return p
	raise RuntimeError("no common free port")


def wait_port(port, host="127.0.0.1", timeout=10.0, proc=None):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		if proc is not None and proc.poll() is not None:
			return False
		try:
			socket.create_connection((host, port), timeout=0.5).close()
			return True
		except OSError:
			time.sleep(0.02)
	return False


def short(b, n=600):
	"""repr of bytes, truncated, for assertion messages."""
	if b is None:
		return "None"
	if len(b) > n:
		return repr(b[:n]) + "...(%d bytes)" % len(b)
	return repr(b)


# --------------------------------------------------------------------------
# Redis

class Resp:
	"""Minimal synchronous RESP2 client."""

	def __init__(self, port, host="127.0.0.1", timeout=5.0):
		self.addr = (host, port)
		self.timeout = timeout
		self.sock = None
		self.buf = b""

	def _connect(self):
		self.sock = socket.create_connection(self.addr, timeout=self.timeout)
		self.buf = b""

	def close(self):
		if self.sock is not None:
			self.sock.close()
			self.sock = None

	def _line(self):
		while b"\r\n" not in self.buf:
			d = self.sock.recv(65536)
			if not d:
				raise ConnectionError("redis closed")
			self.buf += d
		line, self.buf = self.buf.split(b"\r\n", 1)
		return line

	def _exact(self, n):
		while len(self.buf) < n:
			d = self.sock.recv(65536)
			if not d:
				raise ConnectionError("redis closed")
			self.buf += d
		out, self.buf = self.buf[:n], self.buf[n:]
		return out

	def _reply(self):
		line = self._line()
		t, rest = line[:1], line[1:]
		if t == b"+":
			return rest.decode()
		if t == b"-":
			raise RuntimeError("redis error: " + rest.decode())
		if t == b":":
			return int(rest)
		if t == b"$":
			n = int(rest)
			if n < 0:
				return None
			v = self._exact(n + 2)[:-2]
			return v
		if t == b"*":
			n = int(rest)
			if n < 0:
				return None
			return [self._reply() for _ in range(n)]
		raise RuntimeError("bad redis reply %r" % line)

	def cmd(self, *args):
		for attempt in range(2):
			try:
				if self.sock is None:
					self._connect()
				out = b"*%d\r\n" % len(args)
				for a in args:
					if isinstance(a, str):
						a = a.encode()
					elif isinstance(a, int):
						a = str(a).encode()
					out += b"$%d\r\n%s\r\n" % (len(a), a)
				self.sock.sendall(out)
				return self._reply()
			except (OSError, ConnectionError):
				self.close()
				if attempt:
					raise


class RedisServer:
	def __init__(self, workdir, port=None):
		self.workdir = Path(workdir)
		self.workdir.mkdir(parents=True, exist_ok=True)
		self.port = port or free_port()
		self.proc = None
		self.client = Resp(self.port)
		self.stopped = False

	def start(self):
		self.proc = subprocess.Popen(
		    ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
		     "--save", "", "--appendonly", "no",
		     "--dir", str(self.workdir),
		     "--logfile", str(self.workdir / "redis.log")],
		    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
		self.stopped = False
		deadline = time.monotonic() + 10
		while time.monotonic() < deadline:
			try:
				if Resp(self.port, timeout=0.5).cmd("PING") == "PONG":
					self.client.close()
					return
			except (OSError, ConnectionError, RuntimeError):
				time.sleep(0.02)
		raise RuntimeError("redis-server did not start on %d" % self.port)

	def alive(self):
		return self.proc is not None and self.proc.poll() is None

	def sigstop(self):
		self.proc.send_signal(signal.SIGSTOP)
		self.stopped = True

	def sigcont(self):
		self.proc.send_signal(signal.SIGCONT)
		self.stopped = False

	def kill(self):
		if self.proc is None:
			return
		if self.stopped:
			self.proc.send_signal(signal.SIGCONT)
		self.proc.kill()
		self.proc.wait()
		self.proc = None
		self.stopped = False
		self.client.close()

	def restart(self):
		self.kill()
		# The port may linger in TIME_WAIT on the server side; redis sets
		# SO_REUSEADDR so a plain restart works.
		self.start()

	def ensure_up(self):
		"""Bring the server back if a test left it stopped or dead.
		Returns True if it had to be restarted (data lost)."""
		if self.proc is not None and self.stopped:
			self.sigcont()
		if not self.alive():
			self.proc = None
			self.start()
			return True
		return False

	def cmd(self, *args):
		return self.client.cmd(*args)

	def close(self):
		self.kill()


# --------------------------------------------------------------------------
# The spy upstream

PATTERN_BLOCK = random.Random(0xD4A3).randbytes(1 << 20)
RAW_CAP = 1 << 20
STREAM_LIMIT = 4 << 20


def pattern_sha256(n):
	h = hashlib.sha256()
	full, tail = divmod(n, len(PATTERN_BLOCK))
	for _ in range(full):
		h.update(PATTERN_BLOCK)
	h.update(PATTERN_BLOCK[:tail])
	return h.hexdigest()


@dataclass
class SpyRequest:
	listener: str
	conn: int
	method: str
	target: str
	version: str
	headers: list
	raw_head: bytes
	body_len: int = 0
	body_sha256: str = ""
	body_prefix: bytes = b""
	complete: bool = False
	chunk_exts: list = field(default_factory=list)
	trailers: list = field(default_factory=list)
	t: float = 0.0

	def header(self, name):
		name = name.lower()
		for n, v in self.headers:
			if n.lower() == name:
				return v
		return None

	def header_all(self, name):
		name = name.lower()
		return [v for n, v in self.headers if n.lower() == name]

	def names(self):
		return [n.lower() for n, _ in self.headers]

	def echo(self):
		return {"listener": self.listener, "conn": self.conn,
		    "method": self.method, "target": self.target,
		    "version": self.version, "headers": self.headers,
		    "body_len": self.body_len, "body_sha256": self.body_sha256,
		    "chunk_exts": self.chunk_exts, "trailers": self.trailers}


class SpyConn:
	def __init__(self, listener, idx):
		self.listener = listener
		self.idx = idx
		self.raw = bytearray()
		self.nbytes = 0
		self.requests = []
		self.writer = None
		self.closed = False
		self.peer = None


class Listener:
	def __init__(self, spy, host, name):
		self.spy = spy
		self.host = host
		self.name = name
		self.port = None
		self.server = None
		self.conns = []
		self.requests = []
		self.nbytes = 0

	def nconns(self):
		return len(self.conns)

	def close(self):
		"""Stop listening and abort every connection (the sandbox dies)."""
		async def _c():
			self.server.close()
			for c in self.conns:
				if c.writer is not None and not c.closed:
					c.writer.transport.abort()
		self.spy.call(_c())


class _Proto(asyncio.StreamReaderProtocol):
	def __init__(self, listener):
		self._l = listener
		self._c = SpyConn(listener, len(listener.conns))
		listener.conns.append(self._c)
		reader = asyncio.StreamReader(limit=STREAM_LIMIT)
		super().__init__(reader, self._connected)

	def _connected(self, reader, writer):
		self._c.writer = writer
		self._c.peer = writer.get_extra_info("peername")
		return self._l.spy._serve(self._c, reader, writer)

	def data_received(self, data):
		c = self._c
		c.nbytes += len(data)
		self._l.nbytes += len(data)
		if len(c.raw) < RAW_CAP:
			c.raw += data[:RAW_CAP - len(c.raw)]
		super().data_received(data)

	def connection_lost(self, exc):
		self._c.closed = True
		super().connection_lost(exc)


def _parse_head(head):
	lines = head[:-4].split(b"\r\n")
	parts = lines[0].split(b" ")
	method = parts[0].decode("latin-1")
	target = parts[1].decode("latin-1") if len(parts) > 1 else ""
	version = parts[2].decode("latin-1") if len(parts) > 2 else ""
	headers = []
	for line in lines[1:]:
		if not line:
			continue
		n, _, v = line.partition(b":")
		headers.append((n.decode("latin-1"), v.strip(b" \t").decode("latin-1")))
	return method, target, version, headers


EVIL = {
	# name: raw response bytes (group L/G-ish hostile upstream answers)
	"clte": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
	"bad-cl": b"HTTP/1.1 200 OK\r\nContent-Length: abc\r\n\r\nhello",
	"dup-cl": b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\nhello!",
	"neg-cl": b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\nhello",
	"obs-fold": b"HTTP/1.1 200 OK\r\nX-A: a\r\n b\r\nContent-Length: 5\r\n\r\nhello",
	"huge-header": b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * (1 << 20) + b"\r\nContent-Length: 5\r\n\r\nhello",
	"garbage": b"\x00\x01\x02garbage garbage\r\n\r\n",
	"bad-status": b"HTTP/1.1 2000 OK\r\nContent-Length: 5\r\n\r\nhello",
	"bare-lf": b"HTTP/1.1 200 OK\nContent-Length: 5\n\nhello",
	"http09": b"hello world, no status line at all",
	"space-colon": b"HTTP/1.1 200 OK\r\nContent-Length : 5\r\n\r\nhello",
	"te-identity": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: identity, chunked\r\n\r\n0\r\n\r\n",
	"bad-chunk": b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nhello\r\n0\r\n\r\n",
}


class Spy:
	"""All upstream listeners live on one asyncio loop in a daemon thread."""

	def __init__(self):
		self.loop = asyncio.new_event_loop()
		self.thread = threading.Thread(target=self.loop.run_forever,
		    name="spy", daemon=True)
		self.thread.start()
		self.listeners = []
		self.requests = []	# global, in arrival order
		self.default_hold = {}	# listener name -> seconds (unused)

	def call(self, coro, timeout=10):
		return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

	def listen(self, host, port=0, name=None, backlog=128):
		l = Listener(self, host, name or "%s:%d" % (host, port))

		async def _start():
			srv = await self.loop.create_server(lambda: _Proto(l), host,
			    port, backlog=backlog, reuse_address=True)
			return srv
		l.server = self.call(_start())
		l.port = l.server.sockets[0].getsockname()[1]
		if name is None:
			l.name = "%s:%d" % (host, l.port)
		self.listeners.append(l)
		return l

	def total_bytes(self):
		return sum(l.nbytes for l in self.listeners)

	def total_conns(self):
		return sum(len(l.conns) for l in self.listeners)

	def mark(self):
		return len(self.requests)

	def since(self, mark):
		return self.requests[mark:]

	def raw_all(self):
		out = bytearray()
		for l in self.listeners:
			for c in l.conns:
				out += c.raw
		return bytes(out)

	def close(self):
		async def _c():
			for l in self.listeners:
				l.server.close()
				for c in l.conns:
					if c.writer is not None and not c.closed:
						c.writer.transport.abort()
		try:
			self.call(_c())
		except Exception:
			pass
		self.loop.call_soon_threadsafe(self.loop.stop)

	# --- per connection -------------------------------------------------

	async def _serve(self, conn, reader, writer):
		try:
			while True:
				try:
					head = await reader.readuntil(b"\r\n\r\n")
				except (asyncio.IncompleteReadError,
				    asyncio.LimitOverrunError):
					break
				method, target, version, headers = _parse_head(head)
				req = SpyRequest(conn.listener.name, conn.idx, method,
				    target, version, headers, head, t=time.monotonic())
				conn.requests.append(req)
				conn.listener.requests.append(req)
				self.requests.append(req)
				keep = await self._handle(conn, req, reader, writer)
				if not keep:
					break
		except (ConnectionError, OSError, ValueError, IndexError,
		    asyncio.IncompleteReadError, asyncio.LimitOverrunError):
			pass
		except asyncio.CancelledError:
			raise
		finally:
			if not writer.transport.is_closing():
				try:
					writer.close()
				except Exception:
					pass

	async def _read_body(self, req, reader, limit=None):
		"""Read (and hash) the body. limit: stop after this many bytes."""
		h = hashlib.sha256()
		te = ",".join(req.header_all("transfer-encoding")).lower()
		n = 0
		prefix = bytearray()

		def eat(d):
			nonlocal n
			n += len(d)
			h.update(d)
			if len(prefix) < 65536:
				prefix.extend(d[:65536 - len(prefix)])

		if "chunked" in te:
			while True:
				line = await reader.readuntil(b"\r\n")
				sz, _, ext = line[:-2].partition(b";")
				if ext:
					req.chunk_exts.append(ext.decode("latin-1"))
				size = int(sz.strip(), 16)
				if size == 0:
					while True:
						t = await reader.readuntil(b"\r\n")
						if t == b"\r\n":
							break
						req.trailers.append(t[:-2].decode("latin-1"))
					break
				left = size
				while left:
					d = await reader.read(min(left, 1 << 20))
					if not d:
						raise ConnectionError("eof in chunk")
					eat(d)
					left -= len(d)
				await reader.readexactly(2)
		else:
			cl = req.header("content-length")
			left = int(cl) if cl is not None and cl.isdigit() else 0
			if limit is not None:
				left = min(left, limit)
			while left:
				d = await reader.read(min(left, 1 << 20))
				if not d:
					raise ConnectionError("eof in body")
				eat(d)
				left -= len(d)
		req.body_len = n
		req.body_sha256 = h.hexdigest()
		req.body_prefix = bytes(prefix)
		req.complete = True

	@staticmethod
	def _resp(status, body=b"", headers=(), reason=None, close=False):
		reason = reason or {200: "OK", 404: "Not Found",
		    413: "Payload Too Large"}.get(status, "Status")
		out = b"HTTP/1.1 %d %s\r\n" % (status, reason.encode())
		for n, v in headers:
			out += ("%s: %s\r\n" % (n, v)).encode("latin-1")
		out += b"Content-Length: %d\r\n" % len(body)
		if close:
			out += b"Connection: close\r\n"
		return out + b"\r\n" + body

	async def _handle(self, conn, req, reader, writer):
		u = urlsplit(req.target)
		path = u.path
		q = parse_qs(u.query)
		p = path[len("/sandbox"):] if path.startswith("/sandbox/") else path
		close = "close" in ",".join(req.header_all("connection")).lower()
		head_only = req.method == "HEAD"

		if p == "/early-413":
			await self._read_body(req, reader, limit=1024)
			writer.write(self._resp(413, b"too big", close=True))
			await writer.drain()
			await asyncio.sleep(1.0)
			while await reader.read(1 << 20):
				pass
			return False

		await self._read_body(req, reader)

		if p == "/slow-head":
			while await reader.read(65536):
				pass
			return False
		if p == "/close":
			return False
		if p == "/rst":
			sock = writer.get_extra_info("socket")
			sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
			    struct.pack("ii", 1, 0))
			writer.transport.abort()
			return False
		if p == "/close-mid-head":
			writer.write(b"HTTP/1.1 200 OK\r\nContent-Le")
			await writer.drain()
			return False
		if p.startswith("/evil/"):
			writer.write(EVIL[p[len("/evil/"):]])
			await writer.drain()
			await asyncio.sleep(0.2)
			return False
		if p == "/download":
			size = int(q.get("size", ["0"])[0])
			writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
			    b"Content-Length: %d\r\n\r\n" % size)
			if head_only:
				return not close
			full, tail = divmod(size, len(PATTERN_BLOCK))
			mv = memoryview(PATTERN_BLOCK)
			for _ in range(full):
				writer.write(mv)
				await writer.drain()
			if tail:
				writer.write(mv[:tail])
			await writer.drain()
			return not close
		if p == "/chunked":
			body = [b"hello ", b"chunked ", b"world"]
			out = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			for c in body:
				out += b"%x\r\n%s\r\n" % (len(c), c)
			writer.write(out + b"0\r\n\r\n")
			await writer.drain()
			return not close
		if p == "/chunked-tiny":
			n = int(q.get("n", ["100000"])[0])
			writer.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n"
			    + b"1\r\nx\r\n" * n + b"0\r\n\r\n")
			await writer.drain()
			return not close
		if p == "/trickle":
			n = int(q.get("n", ["4"])[0])
			every = float(q.get("every", ["1"])[0])
			writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n" % n)
			await writer.drain()
			for _ in range(n):
				await asyncio.sleep(every)
				writer.write(b"x")
				await writer.drain()
			return not close
		if p == "/stream":
			# chunked, one small chunk every `every` s, `count` times
			every = float(q.get("every", ["0.2"])[0])
			count = int(q.get("count", ["50"])[0])
			writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
			    b"Transfer-Encoding: chunked\r\n\r\n")
			await writer.drain()
			for i in range(count):
				d = b"data: %d\n\n" % i
				writer.write(b"%x\r\n%s\r\n" % (len(d), d))
				await writer.drain()
				await asyncio.sleep(every)
			writer.write(b"0\r\n\r\n")
			await writer.drain()
			return not close
		if p == "/ignore-close":
			body = json.dumps(req.echo()).encode()
			writer.write(self._resp(200, body, close=True))
			await writer.drain()
			# keep the socket open and keep reading: the proxy must close
			while True:
				try:
					h2 = await reader.readuntil(b"\r\n\r\n")
				except (asyncio.IncompleteReadError,
				    asyncio.LimitOverrunError):
					return False
				m, t, v, hs = _parse_head(h2)
				r2 = SpyRequest(conn.listener.name, conn.idx, m, t, v,
				    hs, h2, t=time.monotonic())
				conn.requests.append(r2)
				conn.listener.requests.append(r2)
				self.requests.append(r2)
		m = re.fullmatch(r"/status/(\d{3})", p)
		status = int(m.group(1)) if m else 200
		body = json.dumps(req.echo()).encode()
		resp = self._resp(status, body, headers=[("Content-Type",
		    "application/json")], close=close)
		if head_only:
			resp = resp[:resp.index(b"\r\n\r\n") + 4]
		writer.write(resp)
		await writer.drain()
		return not close


# --------------------------------------------------------------------------
# A scripted fake Redis (group M)

class FakeRedis:
	"""RESP server on the spy loop.  GET <prefix>route:<id> answers
	replies[id] (raw bytes) if present, else the bulk string
	routes[id] if present, else nil.  SUBSCRIBE is acknowledged."""

	def __init__(self, spy):
		self.spy = spy
		self.replies = {}
		self.routes = {}
		self.connects = 0
		self.gets = []

		async def _start():
			return await asyncio.start_server(self._serve, "127.0.0.1", 0)
		self.server = spy.call(_start())
		self.port = self.server.sockets[0].getsockname()[1]

	async def _read_cmd(self, reader):
		line = await reader.readuntil(b"\r\n")
		if not line.startswith(b"*"):
			return line.strip().split()
		n = int(line[1:-2])
		args = []
		for _ in range(n):
			l2 = await reader.readuntil(b"\r\n")
			ln = int(l2[1:-2])
			args.append((await reader.readexactly(ln + 2))[:-2])
		return args

	async def _serve(self, reader, writer):
		self.connects += 1
		try:
			while True:
				args = await self._read_cmd(reader)
				if not args:
					continue
				c = args[0].upper()
				if c == b"GET":
					key = args[1].decode("latin-1")
					sid = key.rsplit("route:", 1)[-1]
					self.gets.append(sid)
					if sid in self.replies:
						r = self.replies[sid]
						if r is None:	# stall
							await asyncio.sleep(3600)
						writer.write(r)
					elif sid in self.routes:
						v = self.routes[sid].encode()
						writer.write(b"$%d\r\n%s\r\n" % (len(v), v))
					else:
						writer.write(b"$-1\r\n")
				elif c in (b"SUBSCRIBE", b"PSUBSCRIBE"):
					for i, ch in enumerate(args[1:]):
						kind = c.lower()
						writer.write(b"*3\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n:%d\r\n" % (
						    len(kind), kind, len(ch), ch, i + 1))
				elif c == b"PING":
					writer.write(b"+PONG\r\n")
				else:
					writer.write(b"+OK\r\n")
				await writer.drain()
		except (asyncio.IncompleteReadError, ConnectionError, ValueError,
		    asyncio.LimitOverrunError):
			pass
		finally:
			writer.close()

	def close(self):
		async def _c():
			self.server.close()
		try:
			self.spy.call(_c())
		except Exception:
			pass


# --------------------------------------------------------------------------
# Tokens

def b64u(b):
	if isinstance(b, str):
		b = b.encode()
	return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def raw_jwt(header, payload, key=None, alg="HS256", sig=None):
	"""Build a JWT from raw header/payload (dict, str or bytes).  sig:
	explicit signature string (no signing) ; else HMAC with key/alg."""
	def enc(x):
		if isinstance(x, dict):
			x = json.dumps(x, separators=(",", ":"))
		return b64u(x)
	si = enc(header) + "." + enc(payload)
	if sig is not None:
		return si + "." + sig
	dig = {"HS256": hashlib.sha256, "HS384": hashlib.sha384,
	    "HS512": hashlib.sha512}[alg]
	return si + "." + b64u(hmac.new(key, si.encode(), dig).digest())


def mint(secret, sbx="sbx1", port=None, ttl=3600, now=None, kid=KID,
    alg="HS256", aud=AUDIENCE, key=None, omit=(), extra=None, header=None):
	"""A token via python-jwt.  omit: claim names to drop.  extra: claims
	to add/override.  key: signing key for non-HS algs."""
	import jwt as pyjwt
	now = int(time.time()) if now is None else now
	claims = {"sbx": sbx, "aud": aud, "iat": now, "exp": now + ttl}
	if port is not None:
		claims["port"] = port
	for k in omit:
		claims.pop(k, None)
	if extra:
		claims.update(extra)
	hdr = {"kid": kid} if kid is not None else {}
	if header:
		hdr.update(header)
	return pyjwt.encode(claims, key if key is not None else secret,
	    algorithm=alg, headers=hdr)


# --------------------------------------------------------------------------
# The raw client

class RespObj:
	def __init__(self):
		self.status = None
		self.reason = ""
		self.version = ""
		self.headers = []
		self.body = b""
		self.closed = None
		self.reset = False
		self.truncated = False
		self.raw = b""
		self.interim = []
		self.elapsed = 0.0
		self.timeout = False

	def header(self, name):
		name = name.lower()
		for n, v in self.headers:
			if n.lower() == name:
				return v
		return None

	def header_all(self, name):
		name = name.lower()
		return [v for n, v in self.headers if n.lower() == name]

	def json(self):
		try:
			return json.loads(self.body)
		except ValueError:
			return None

	def conn_close(self):
		return "close" in ",".join(self.header_all("connection")).lower()

	def __repr__(self):
		return "<resp %s closed=%s reset=%s %.2fs raw=%s>" % (
		    self.status, self.closed, self.reset, self.elapsed,
		    short(self.raw, 500))


class Conn:
	def __init__(self, port, host="127.0.0.1", timeout=10.0):
		self.sock = socket.create_connection((host, port), timeout=timeout)
		self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		self.timeout = timeout
		self.buf = b""
		self.eof = False
		self.reset = False

	def send(self, data, pieces=None, delay=0.0):
		"""Send bytes, optionally as the given list of split points/
		pieces with delay seconds between them.  Returns False if the
		peer closed/reset while sending."""
		chunks = [data] if pieces is None else pieces
		try:
			for i, c in enumerate(chunks):
				if i and delay:
					time.sleep(delay)
				self.sock.sendall(c)
			return True
		except (BrokenPipeError, ConnectionResetError):
			self.reset = True
			return False

	def _recv(self, timeout=None):
		self.sock.settimeout(timeout if timeout is not None else self.timeout)
		try:
			d = self.sock.recv(1 << 20)
		except ConnectionResetError:
			self.reset = True
			d = b""
		if not d:
			self.eof = True
		return d

	def _need(self, r, pred, deadline):
		while not pred():
			if self.eof:
				return False
			left = deadline - time.monotonic()
			if left <= 0:
				raise socket.timeout()
			d = self._recv(left)
			r.raw += d
			self.buf += d
		return True

	def read_response(self, method="GET", timeout=None):
		r = RespObj()
		t0 = time.monotonic()
		deadline = t0 + (timeout if timeout is not None else self.timeout)
		try:
			while True:
				if not self._need(r, lambda: b"\r\n\r\n" in self.buf,
				    deadline):
					r.closed = True
					r.reset = self.reset
					r.elapsed = time.monotonic() - t0
					return r
				head, self.buf = self.buf.split(b"\r\n\r\n", 1)
				lines = head.split(b"\r\n")
				sl = lines[0].decode("latin-1").split(" ", 2)
				r.version = sl[0]
				try:
					st = int(sl[1])
				except (IndexError, ValueError):
					st = -1
				r.reason = sl[2] if len(sl) > 2 else ""
				hs = []
				for line in lines[1:]:
					n, _, v = line.decode("latin-1").partition(":")
					hs.append((n, v.strip()))
				if 100 <= st < 200 and st != 101:
					r.interim.append(st)
					continue
				r.status = st
				r.headers = hs
				break
			te = ",".join(r.header_all("transfer-encoding")).lower()
			cl = r.header("content-length")
			if method == "HEAD" or r.status in (204, 304) or r.status == 101:
				pass
			elif "chunked" in te:
				body = bytearray()
				while True:
					if not self._need(r, lambda: b"\r\n" in self.buf,
					    deadline):
						r.truncated = True
						break
					line, self.buf = self.buf.split(b"\r\n", 1)
					size = int(line.split(b";")[0].strip() or b"0", 16)
					if size == 0:
						self._need(r, lambda: b"\r\n\r\n" in b"\r\n" + self.buf,
						    deadline)
						if self.buf.startswith(b"\r\n"):
							self.buf = self.buf[2:]
						else:
							_, self.buf = self.buf.split(b"\r\n\r\n", 1)
						break
					if not self._need(r, lambda: len(self.buf) >= size + 2,
					    deadline):
						body += self.buf
						self.buf = b""
						r.truncated = True
						break
					body += self.buf[:size]
					self.buf = self.buf[size + 2:]
				r.body = bytes(body)
			elif cl is not None:
				n = int(cl) if cl.strip().isdigit() else 0
				if not self._need(r, lambda: len(self.buf) >= n, deadline):
					r.truncated = True
				r.body, self.buf = self.buf[:n], self.buf[n:]
			else:
				while not self.eof:
					if time.monotonic() > deadline:
						raise socket.timeout()
					d = self._recv(deadline - time.monotonic())
					r.raw += d
					self.buf += d
				r.body, self.buf = self.buf, b""
		except (socket.timeout, TimeoutError):
			r.timeout = True
		r.elapsed = time.monotonic() - t0
		r.reset = self.reset
		if self.eof:
			r.closed = True
		return r

	def wait_closed(self, timeout=2.0):
		"""True if the peer closes (FIN or RST) within timeout without
		sending more bytes; False otherwise."""
		if self.eof:
			return True
		if self.buf:
			return False
		deadline = time.monotonic() + timeout
		while True:
			left = deadline - time.monotonic()
			if left <= 0:
				return False
			try:
				d = self._recv(left)
			except (socket.timeout, TimeoutError):
				return False
			if not d:
				return True
			self.buf += d
			return False

	def close(self):
		try:
			self.sock.close()
		except OSError:
			pass


def http(port, data, method=None, timeout=10.0, check_close=True,
    pieces=None, delay=0.0, host="127.0.0.1"):
	"""One request (exact bytes) on a fresh connection.  If the response
	says Connection: close (or check_close == 'always'), wait up to 2 s
	for the close and record it in .closed."""
	if method is None:
		method = data.split(b" ", 1)[0].decode("latin-1", "replace")
	c = Conn(port, host=host, timeout=timeout)
	try:
		c.send(data, pieces=pieces, delay=delay)
		r = c.read_response(method=method)
		if r.closed is None and (check_close == "always" or
		    (check_close and r.conn_close())):
			r.closed = c.wait_closed(2.0)
		r.reset = r.reset or c.reset
		return r
	finally:
		c.close()


def req(method="GET", target="/", host=None, headers=(), body=None,
    version="HTTP/1.1"):
	out = "%s %s %s\r\n" % (method, target, version)
	if host is not None:
		out += "Host: %s\r\n" % host
	b = out.encode("latin-1")
	for h in headers:
		if isinstance(h, bytes):
			b += h + b"\r\n"
		else:
			b += ("%s: %s\r\n" % h).encode("latin-1")
	if body is not None:
		b += b"Content-Length: %d\r\n" % len(body)
	b += b"\r\n"
	if body is not None:
		b += body
	return b


def auth(tok):
	return ("Authorization", "Bearer " + tok)


# --------------------------------------------------------------------------
# The proxy process

def base_directives(listen_port, redis_port):
	return [
	    ("listen", "127.0.0.1:%d" % listen_port),
	    ("workers", "2"),
	    ("domain", DOMAIN),
	    ("path-host", PATH_HOST),
	    ("redis", "127.0.0.1:%d" % redis_port),
	    ("redis-timeout", "200ms"),
	    ("route-ttl", "30s"),
	    ("route-stale", "60s"),
	    ("jwt-key", "%s HS256 dev.key" % KID),
	    ("timeout-header", "2s"),
	    ("timeout-idle", "5s"),
	    ("timeout-body", "2s"),
	    ("timeout-connect", "1s"),
	    ("timeout-first-byte", "3s"),
	    ("timeout-upstream-idle", "5s"),
	    ("max-header-bytes", "16k"),
	    ("max-headers", "100"),
	    ("max-connections", "4096"),
	]


def write_config(d, listen_port, redis_port, secret, overrides=None,
    extra=(), files=None):
	"""Write drawbridge.conf + dev.key into directory d.  overrides:
	{directive: value or None (drop)} replacing the base value; extra:
	whole lines appended; files: {name: (bytes, mode)}."""
	d = Path(d)
	d.mkdir(parents=True, exist_ok=True)
	key = d / "dev.key"
	if not key.exists():
		key.write_bytes(secret)
	os.chmod(key, 0o600)
	for name, (data, mode) in (files or {}).items():
		p = d / name
		p.write_bytes(data)
		os.chmod(p, mode)
	ov = dict(overrides or {})
	lines = ["# generated by tests/integration"]
	for k, v in base_directives(listen_port, redis_port):
		if k in ov:
			v = ov.pop(k)
			if v is None:
				continue
		lines.append("%s %s" % (k, v))
	for k, v in ov.items():
		if v is not None:
			lines.append("%s %s" % (k, v))
	lines.extend(extra)
	conf = d / "drawbridge.conf"
	conf.write_text("\n".join(lines) + "\n")
	return conf


def proc_rss_kib(pid):
	"""VmRSS of pid plus its child processes (workers may be processes)."""
	total = 0
	pids = [pid]
	try:
		for t in os.listdir("/proc/%d/task" % pid):
			try:
				with open("/proc/%d/task/%s/children" % (pid, t)) as f:
					pids += [int(x) for x in f.read().split()]
			except OSError:
				pass
	except OSError:
		return None
	for p in set(pids):
		try:
			with open("/proc/%d/status" % p) as f:
				for line in f:
					if line.startswith("VmRSS:"):
						total += int(line.split()[1])
		except OSError:
			pass
	return total


class RssSampler:
	def __init__(self, pid, every=0.2):
		self.pid = pid
		self.every = every
		self.samples = []
		self._stop = threading.Event()
		self._t = threading.Thread(target=self._run, daemon=True)

	def _run(self):
		while not self._stop.is_set():
			v = proc_rss_kib(self.pid)
			if v is not None:
				self.samples.append(v)
			self._stop.wait(self.every)

	def __enter__(self):
		self.base = proc_rss_kib(self.pid)
		self._t.start()
		return self

	def __exit__(self, *a):
		self._stop.set()
		self._t.join()

	@property
	def peak(self):
		return max(self.samples + [self.base or 0])


class Proxy:
	def __init__(self, workdir, redis_port, secret, overrides=None,
	    extra=(), files=None, port=None):
		self.dir = Path(workdir)
		self.port = port or free_port()
		self.conf = write_config(self.dir, self.port, redis_port, secret,
		    overrides, extra, files)
		self.log = self.dir / "drawbridge.log"
		self.proc = None
		self._logf = None

	def start(self, timeout=10.0):
		self._logf = open(self.log, "ab")
		self.proc = subprocess.Popen([str(DRAWBRIDGE_BIN), "-c",
		    str(self.conf)], stdout=self._logf, stderr=self._logf,
		    cwd=str(self.dir))
		if not wait_port(self.port, timeout=timeout, proc=self.proc):
			rc = self.proc.poll()
			if rc is None:
				self.proc.kill()
				self.proc.wait()
			raise AssertionError("drawbridge did not start (rc=%s); log:\n%s"
			    % (rc, self.log_text()[-4000:]))
		return self

	@property
	def pid(self):
		return self.proc.pid

	def alive(self):
		return self.proc is not None and self.proc.poll() is None

	def log_text(self, offset=0):
		try:
			with open(self.log, "rb") as f:
				f.seek(offset)
				return f.read().decode("utf-8", "replace")
		except OSError:
			return ""

	def log_size(self):
		try:
			return self.log.stat().st_size
		except OSError:
			return 0

	def bad_log(self, offset=0):
		text = self.log_text(offset)
		return [l for l in text.splitlines() if any(b in l for b in BAD_LOG)]

	def stop(self, timeout=10.0):
		"""SIGTERM; returns (exit code, problems list)."""
		problems = []
		rc = None
		if self.proc is not None:
			if self.proc.poll() is None:
				self.proc.send_signal(signal.SIGTERM)
				try:
					rc = self.proc.wait(timeout)
				except subprocess.TimeoutExpired:
					self.proc.kill()
					self.proc.wait()
					problems.append("did not exit within %ss of SIGTERM" % timeout)
			else:
				rc = self.proc.returncode
				problems.append("had already exited with %s" % rc)
			if rc not in (0, None):
				problems.append("exit code %s after SIGTERM" % rc)
		if self._logf:
			self._logf.close()
			self._logf = None
		bad = self.bad_log()
		if bad:
			problems.append("log: " + " | ".join(bad[:5]))
		return rc, problems


# --------------------------------------------------------------------------
# The standard world

@dataclass
class Sandbox:
	id: str
	ip: str
	record: dict
	runtime: Listener = None
	ports: dict = field(default_factory=dict)	# port -> Listener


class World:
	"""Spy listeners and Redis records for the standard sandboxes:

	  sbx1  target 127.0.0.2   runtime R, PUB public, PROT auth, UNEX
	        listening but not exposed
	  sbx2  target 127.0.0.3   same port numbers
	  uuid  target 127.0.0.4   a UUID id with hyphens, runtime R, PUB public
	"""

	IPS = {"sbx1": "127.0.0.2", "sbx2": "127.0.0.3"}

	def __init__(self, spy, redis, secret, workdir):
		self.spy = spy
		self.redis = redis
		self.secret = secret
		self.workdir = Path(workdir)
		self.records = {}
		self.boxes = {}
		self._tok = {}
		self.uuid = "0b6f1c9e-3d2a-4f5b-9c8d-7e6a5b4c3d2e"
		ips = ["127.0.0.2", "127.0.0.3", "127.0.0.4"]
		self.R = common_free_port(ips)
		self.PUB = common_free_port(ips, avoid={self.R})
		self.PROT = common_free_port(ips, avoid={self.R, self.PUB})
		self.UNEX = common_free_port(ips, avoid={self.R, self.PUB, self.PROT})
		for sid, ip in (("sbx1", "127.0.0.2"), ("sbx2", "127.0.0.3")):
			b = Sandbox(sid, ip, {})
			b.runtime = spy.listen(ip, self.R, "%s/runtime" % sid)
			for p, nm in ((self.PUB, "pub"), (self.PROT, "prot"),
			    (self.UNEX, "unex")):
				b.ports[p] = spy.listen(ip, p, "%s/%s" % (sid, nm))
			b.record = self.record(ip, self.R, {self.PUB: "public",
			    self.PROT: "auth"})
			self.boxes[sid] = b
		b = Sandbox(self.uuid, "127.0.0.4", {})
		b.runtime = spy.listen("127.0.0.4", self.R, "uuid/runtime")
		b.ports[self.PUB] = spy.listen("127.0.0.4", self.PUB, "uuid/pub")
		b.record = self.record("127.0.0.4", self.R, {self.PUB: "public"})
		self.boxes[self.uuid] = b
		self.ctl_dir = self.workdir / "ctl"
		self.ctl_conf = write_config(self.ctl_dir, free_port(), redis.port,
		    secret)
		self.restore()

	@staticmethod
	def record(target, runtime_port, ports, status="active", **kw):
		r = {"v": 1, "target": target, "runtime_port": runtime_port,
		    "status": status,
		    "ports": {str(k): v for k, v in ports.items()}}
		r.update(kw)
		return r

	def put(self, sid, rec, publish=True, keep=True):
		"""Write a record (dict or raw str) directly and PUBLISH."""
		v = rec if isinstance(rec, str) else json.dumps(rec)
		self.redis.cmd("SET", "drawbridge:route:" + sid, v)
		if keep:
			self.records[sid] = v
		if publish:
			self.redis.cmd("PUBLISH", "drawbridge:routes", sid)

	def delete(self, sid, publish=True):
		self.redis.cmd("DEL", "drawbridge:route:" + sid)
		self.records.pop(sid, None)
		if publish:
			self.redis.cmd("PUBLISH", "drawbridge:routes", sid)

	def restore(self):
		"""(Re)write every standard record, e.g. after a Redis restart."""
		for sid, b in self.boxes.items():
			self.records[sid] = json.dumps(b.record)
		for sid, v in list(self.records.items()):
			self.redis.cmd("SET", "drawbridge:route:" + sid, v)
		self.redis.cmd("PUBLISH", "drawbridge:routes", "*")

	# hosts
	def rt(self, sid="sbx1"):
		return "%s.%s" % (sid, DOMAIN)

	def pub(self, sid="sbx1"):
		return "%d-%s.%s" % (self.PUB, sid, DOMAIN)

	def prot(self, sid="sbx1"):
		return "%d-%s.%s" % (self.PROT, sid, DOMAIN)

	def unex(self, sid="sbx1"):
		return "%d-%s.%s" % (self.UNEX, sid, DOMAIN)

	px = PATH_HOST

	def listener(self, sid, kind):
		b = self.boxes[sid]
		if kind == "runtime":
			return b.runtime
		return b.ports[{"pub": self.PUB, "prot": self.PROT,
		    "unex": self.UNEX}[kind]]

	# drawbridgectl
	def ctl(self, *args, check=True, timeout=10):
		p = subprocess.run([str(DRAWBRIDGECTL_BIN), "-c", str(self.ctl_conf)]
		    + [str(a) for a in args], capture_output=True, timeout=timeout)
		if check and p.returncode != 0:
			raise AssertionError("drawbridgectl %s failed rc=%d: %s" % (
			    " ".join(map(str, args)), p.returncode,
			    p.stderr.decode(errors="replace")))
		return p

	def token(self, sid="sbx1", port=None, ttl=None, cache=True):
		k = (sid, port, ttl)
		if cache and k in self._tok:
			return self._tok[k]
		if not DRAWBRIDGECTL_BIN.exists():
			# drawbridgectl not built yet: same claims via python-jwt
			t = mint(self.secret, sbx=sid, port=port,
			    ttl=ttl if ttl is not None else 3600)
			if cache:
				self._tok[k] = t
			return t
		args = ["token", sid]
		if port is not None:
			args += ["--port", port]
		if ttl is not None:
			args += ["--ttl", ttl]
		t = self.ctl(*args).stdout.decode().strip()
		if cache:
			self._tok[k] = t
		return t

	def mint(self, **kw):
		return mint(self.secret, **kw)


# --------------------------------------------------------------------------
# Assertions shared by the catalog tests

def settle(spy, secs=0.05):
	time.sleep(secs)


def diag(data, r, extra=""):
	return "%s\n  request:  %s\n  response: %r" % (extra, short(data, 400), r)


def check_rej(world, proxy, data, statuses=(400,), pieces=None, delay=0.0,
    allow_silent_close=False):
	"""REJ: status in statuses, Connection: close, closed, and the spy got
	zero bytes.  Returns the response."""
	spy = world.spy
	before = spy.total_bytes()
	m0 = spy.mark()
	r = http(proxy.port, data, pieces=pieces, delay=delay,
	    check_close="always")
	settle(spy)
	delta = spy.total_bytes() - before
	problems = []
	if r.status is None and allow_silent_close and r.closed:
		pass
	elif r.status not in statuses:
		problems.append("status %s, want %s" % (r.status, "/".join(
		    map(str, statuses))))
	else:
		if not r.conn_close():
			problems.append("no Connection: close")
		if not r.closed:
			problems.append("connection not closed")
	if delta:
		problems.append("spy received %d bytes: %s" % (delta, short(
		    b"".join(q.raw_head for q in spy.since(m0)), 300)))
	assert not problems, diag(data, r, "REJ failed: " + "; ".join(problems))
	return r


def check_fwd(world, proxy, data, status=200, timeout=10.0):
	"""Send data; expect `status`; return (response, [spy requests])."""
	spy = world.spy
	m0 = spy.mark()
	r = http(proxy.port, data, timeout=timeout)
	settle(spy)
	got = spy.since(m0)
	assert r.status == status, diag(data, r, "want %d" % status)
	return r, got


def check_denied(world, proxy, data, statuses, code=None):
	"""A local error answer (not necessarily closing): status in statuses,
	JSON error body, optional code, and the spy got zero bytes."""
	spy = world.spy
	before = spy.total_bytes()
	r = http(proxy.port, data)
	settle(spy)
	delta = spy.total_bytes() - before
	problems = []
	if r.status not in statuses:
		problems.append("status %s, want %s" % (r.status, statuses))
	if delta:
		problems.append("spy received %d bytes" % delta)
	if code is not None and r.status in statuses:
		j = r.json()
		if not isinstance(j, dict) or j.get("code") not in (
		    code if isinstance(code, (tuple, list, set)) else (code,)):
			problems.append("code %r, want %r" % (
			    j.get("code") if isinstance(j, dict) else j, code))
	assert not problems, diag(data, r, "; ".join(problems))
	return r

"""Presigned file-transfer URLs (issue 6; security-catalog group J).

Drawbridge answers POST /sandbox/files/presign-upload|presign-download
itself (bearer-authorised), and checks `?path=...&token=...` on
PUT /sandbox/files/upload and GET /sandbox/files/download before anything
reaches the sandbox.  The tests use:

  - the standard world's spy upstream (sbx1, sbx2: records every byte) for
    every refusal ("the upstream is never contacted"),
  - FileRuntime below: a small store-and-serve runtime on 127.0.0.5 for the
    byte-identical 1 GiB round trip,
  - private drawbridge processes with a presign-key (the module proxy of
    conftest has none), two of them on one Redis for the one-time tests.

Tokens are also forged here with the known secret, in the format
docs/PRESIGN.md specifies, so the tests double as a second implementation
of that format.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import threading
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

import dbh
from dbh import auth, http, req

GiB = 1 << 30
PKID = "p1"
PRESIGN_DOMAIN = b"drawbridge-presign-"
REFUSED = (400, 401, 403, 405)


# --------------------------------------------------------------------------
# helpers

def b64u(b):
	if isinstance(b, str):
		b = b.encode()
	return base64.urlsafe_b64encode(b).rstrip(b"=").decode()


def b64d(s):
	return base64.urlsafe_b64decode(s + "=" * (-len(s) % 4))


def forge(secret, payload, kid=PKID):
	"""A token in the documented format, signed with secret."""
	if isinstance(payload, dict):
		payload = json.dumps(payload, separators=(",", ":"))
	si = "v1.%s.%s" % (b64u(kid), b64u(payload))
	mac = hmac.new(secret, PRESIGN_DOMAIN + si.encode(),
	    hashlib.sha256).digest()
	return si + "." + b64u(mac)


def payload_of(tok):
	return json.loads(b64d(tok.split(".")[2]))


def std_payload(sbx="sbx1", method="GET", path="/tmp/f.txt", exp=None,
    one_time=0, max_bytes=0):
	return {"s": sbx, "m": method, "p": path,
	    "e": int(time.time()) + 600 if exp is None else exp,
	    "n": secrets.token_hex(16), "o": one_time, "b": max_bytes}


def target_of(url):
	u = urlsplit(url)
	return u.netloc, u.path + ("?" + u.query if u.query else "")


def use(port, url, method=None, body=None, headers=(), timeout=10.0):
	"""Send the presigned URL as is (host from the URL, connect to us)."""
	host, target = target_of(url)
	if method is None:
		method = "PUT" if "/files/upload" in target else "GET"
	if body is None and method == "PUT":
		body = b""
	return http(port, req(method, target, host, list(headers), body),
	    timeout=timeout)


def presign(port, host, tok, op, body, path_routed_id=None):
	"""POST .../presign-<op>; returns the response."""
	if isinstance(body, dict):
		body = json.dumps(body).encode()
	if path_routed_id:
		target = "/sandbox/%s/files/presign-%s" % (path_routed_id, op)
	else:
		target = "/sandbox/files/presign-%s" % op
	hs = [("Content-Type", "application/json")]
	if tok is not None:
		hs.append(auth(tok))
	return http(port, req("POST", target, host, hs, body))


def mint_ok(port, host, tok, op, body, path_routed_id=None):
	r = presign(port, host, tok, op, body, path_routed_id)
	assert r.status == 200, "presign-%s: %r" % (op, r)
	j = r.json()
	assert isinstance(j, dict), r
	return j


def no_upstream(world, before, what):
	time.sleep(0.05)
	delta = world.spy.total_bytes() - before
	assert delta == 0, "%s: the upstream received %d bytes" % (what, delta)


def release_bin():
	p = os.environ.get("DRAWBRIDGE_RELEASE_BIN")
	if not p:
		return dbh.DRAWBRIDGE_BIN
	p = Path(p)
	return p if p.is_absolute() else dbh.REPO / p


def is_asan(path):
	try:
		return b"__asan_init" in Path(path).read_bytes()
	except OSError:
		return False


# --------------------------------------------------------------------------
# A store-and-serve runtime for the byte-identical round trip

class FileRuntime:
	"""PUT /sandbox/files/upload?path=P stores the body (bytes up to
	16 MiB; beyond that only size + SHA-256, and downloads of a large file
	are served from dbh.PATTERN_BLOCK if the upload hashed to
	pattern_shas[size]).
	GET /sandbox/files/download?path=P serves it.  Every request head is
	recorded in .requests."""

	KEEP = 16 << 20

	def __init__(self, host="127.0.0.5"):
		self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
		self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		self.sock.bind((host, 0))
		self.sock.listen(128)
		self.host = host
		self.port = self.sock.getsockname()[1]
		self.files = {}
		self.pattern_shas = {}	# size -> sha256 of the pattern (the
					# test fills it: hashing 1 GiB here
					# would stall the response)
		self.requests = []
		self.closing = False
		self.t = threading.Thread(target=self._accept, daemon=True)
		self.t.start()

	def close(self):
		self.closing = True
		try:
			self.sock.shutdown(socket.SHUT_RDWR)
		except OSError:
			pass
		self.sock.close()

	def _accept(self):
		while not self.closing:
			try:
				c, _ = self.sock.accept()
			except OSError:
				return
			threading.Thread(target=self._serve, args=(c,),
			    daemon=True).start()

	@staticmethod
	def _read_until(c, buf, sep):
		while sep not in buf:
			d = c.recv(1 << 16)
			if not d:
				raise ConnectionError("eof")
			buf += d
		i = buf.index(sep) + len(sep)
		return buf[:i], buf[i:]

	def _body(self, c, buf, headers, sink):
		te = headers.get("transfer-encoding", "").lower()
		if "chunked" in te:
			while True:
				line, buf = self._read_until(c, buf, b"\r\n")
				size = int(line.split(b";")[0].strip(), 16)
				if size == 0:
					while True:
						t, buf = self._read_until(c, buf, b"\r\n")
						if t == b"\r\n":
							return buf
				while len(buf) < size + 2:
					d = c.recv(1 << 20)
					if not d:
						raise ConnectionError("eof")
					buf += d
				sink(buf[:size])
				buf = buf[size + 2:]
		left = int(headers.get("content-length", "0"))
		take = min(left, len(buf))
		sink(buf[:take])
		buf = buf[take:]
		left -= take
		mv = bytearray(1 << 20)
		while left:
			n = c.recv_into(mv, min(left, len(mv)))
			if not n:
				raise ConnectionError("eof in body")
			sink(bytes(mv[:n]) if n < len(mv) else bytes(mv))
			left -= n
		return buf

	def _serve(self, c):
		buf = b""
		try:
			while True:
				head, buf = self._read_until(c, buf, b"\r\n\r\n")
				lines = head[:-4].split(b"\r\n")
				method, target, _ = lines[0].decode("latin-1").split(" ", 2)
				headers = {}
				hl = []
				for ln in lines[1:]:
					n, _, v = ln.decode("latin-1").partition(":")
					headers[n.strip().lower()] = v.strip()
					hl.append((n.strip(), v.strip()))
				self.requests.append({"method": method, "target": target,
				    "headers": hl})
				u = urlsplit(target)
				q = parse_qs(u.query, keep_blank_values=True)
				path = q.get("path", [""])[0]
				h = hashlib.sha256()
				kept = bytearray()
				size = [0]

				def sink(d):
					h.update(d)
					size[0] += len(d)
					if len(kept) <= self.KEEP:
						kept.extend(d)
				buf = self._body(c, buf, headers, sink)
				if method == "PUT" and u.path == "/sandbox/files/upload":
					self.files[path] = (size[0], h.hexdigest(),
					    bytes(kept) if size[0] <= self.KEEP else None)
					body = json.dumps({"path": path,
					    "bytesWritten": size[0]}).encode()
					c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: "
					    b"application/json\r\nContent-Length: %d\r\n\r\n"
					    % len(body) + body)
				elif method in ("GET", "HEAD") and \
				    u.path == "/sandbox/files/download" and \
				    path in self.files:
					n, sha, data = self.files[path]
					c.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: "
					    b"application/octet-stream\r\n"
					    b"Content-Length: %d\r\n\r\n" % n)
					if method == "HEAD":
						continue
					if data is not None:
						c.sendall(data)
					elif sha == self.pattern_shas.get(n):
						full, tail = divmod(n, len(dbh.PATTERN_BLOCK))
						mv = memoryview(dbh.PATTERN_BLOCK)
						for _ in range(full):
							c.sendall(mv)
						c.sendall(mv[:tail])
					else:
						return	# cannot reproduce: cut
				else:
					body = b'{"error":"not found"}'
					c.sendall(b"HTTP/1.1 404 Not Found\r\n"
					    b"Content-Length: %d\r\n\r\n" % len(body) + body)
		except (OSError, ConnectionError, ValueError):
			pass
		finally:
			c.close()


# --------------------------------------------------------------------------
# fixtures

@pytest.fixture(scope="module")
def psecret():
	s = secrets.token_bytes(48)
	while s.endswith((b"\n", b"\r")):
		s = secrets.token_bytes(48)
	return s


@pytest.fixture
def pdb(drawbridge, psecret):
	"""Factory: a drawbridge with presign-key p1; same secret for all."""
	def make(overrides=None, extra=(), **kw):
		return drawbridge(overrides=overrides, extra=["presign-key %s "
		    "presign.key" % PKID] + list(extra),
		    files={"presign.key": (psecret, 0o600)}, **kw)
	return make


@pytest.fixture
def files_box(world):
	"""Sandbox "files1" -> FileRuntime on 127.0.0.5, with an inject
	header, as a route record."""
	fr = FileRuntime()
	rec = world.record("127.0.0.5", fr.port, {})
	rec["inject"] = {"name": "X-Drawbridge-Secret", "value": "inj-s3cr3t"}
	world.put("files1", rec, keep=False)
	yield fr
	world.delete("files1")
	fr.close()


def warm(port, world, tok, sbx="sbx1"):
	"""One bearer request per worker connection so the route is cached."""
	for _ in range(8):
		r = http(port, req("GET", "/sandbox/warm", world.rt(sbx),
		    [auth(tok)]))
		assert r.status == 200, r


# --------------------------------------------------------------------------
# J01: the happy paths, what the runtime sees

def test_J01_upload_download_host_routed(world, pdb, tok1):
	p = pdb()
	spy = world.spy
	up = mint_ok(p.port, world.rt(), tok1, "upload",
	    {"path": "/home/ubuntu/a b+c.txt"})
	assert up["method"] == "PUT" and up["path"] == "/home/ubuntu/a b+c.txt"
	assert isinstance(up["expiresAt"], int)
	now_ms = time.time() * 1000
	assert 290e3 < up["expiresAt"] - now_ms <= 301e3, up	# default 5m
	host, target = target_of(up["url"])
	assert up["url"].startswith("http://%s:%d/sandbox/files/upload?" % (
	    world.rt(), p.port)) or up["url"].startswith(
	    "http://%s/sandbox/files/upload?" % world.rt()), up["url"]
	assert "token=" + up["token"] in target
	pl = payload_of(up["token"])
	assert set(pl) == {"s", "m", "p", "e", "n", "o", "b"}, pl
	assert (pl["s"], pl["m"], pl["p"], pl["e"]) == ("sbx1", "PUT",
	    "/home/ubuntu/a b+c.txt", up["expiresAt"] // 1000)

	m0 = spy.mark()
	r = use(p.port, up["url"], body=b"hello presign")
	time.sleep(0.05)
	assert r.status == 200, r
	got = spy.since(m0)
	assert len(got) == 1, got
	u = got[0]
	assert u.method == "PUT" and u.listener == "sbx1/runtime"
	assert u.body_len == 13
	assert "token" not in parse_qs(urlsplit(u.target).query), u.target
	assert up["token"] not in u.raw_head.decode("latin-1")
	assert parse_qs(urlsplit(u.target).query)["path"] == [
	    "/home/ubuntu/a b+c.txt"], u.target
	assert u.header("authorization") is None

	dn = mint_ok(p.port, world.rt(), tok1, "download",
	    {"path": "/home/ubuntu/a b+c.txt", "expiresInSeconds": 60})
	assert dn["method"] == "GET"
	assert 55e3 < dn["expiresAt"] - time.time() * 1000 <= 61e3
	m0 = spy.mark()
	r = use(p.port, dn["url"])
	time.sleep(0.05)
	assert r.status == 200, r
	got = spy.since(m0)
	assert len(got) == 1 and got[0].method == "GET", got
	assert dn["token"] not in got[0].raw_head.decode("latin-1")
	# reusable: again
	assert use(p.port, dn["url"]).status == 200


def test_J01_path_routed(world, pdb, tok1):
	p = pdb()
	j = mint_ok(p.port, world.px, tok1, "download", {"path": "/tmp/x"},
	    path_routed_id="sbx1")
	host, target = target_of(j["url"])
	assert host.split(":")[0] == world.px
	assert target.startswith("/sandbox/sbx1/files/download?"), j["url"]
	m0 = world.spy.mark()
	r = use(p.port, j["url"])
	time.sleep(0.05)
	assert r.status == 200, r
	got = world.spy.since(m0)
	assert len(got) == 1 and got[0].listener == "sbx1/runtime"
	assert urlsplit(got[0].target).path == "/sandbox/files/download"
	assert "token" not in parse_qs(urlsplit(got[0].target).query)
	# the path-routed URL also works host-routed (same sandbox): the
	# token binds the sandbox, not the URL form
	r = use(p.port, "http://%s/sandbox/files/download?%s" % (world.rt(),
	    urlsplit(j["url"]).query))
	assert r.status == 200, r


def test_J01_inject_header_and_no_credentials_upstream(world, pdb, tok1,
    files_box):
	p = pdb()
	tokf = world.token("files1")
	j = mint_ok(p.port, world.rt("files1"), tokf, "upload",
	    {"path": "/data/in.bin"})
	r = use(p.port, j["url"], body=b"x" * 1000)
	assert r.status == 200, r
	assert r.json() == {"path": "/data/in.bin", "bytesWritten": 1000}
	seen = files_box.requests[-1]
	hdrs = {n.lower(): v for n, v in seen["headers"]}
	assert hdrs.get("x-drawbridge-secret") == "inj-s3cr3t", seen
	assert "authorization" not in hdrs
	assert j["token"] not in seen["target"]


# --------------------------------------------------------------------------
# issue test 1: 1 GiB up and back, byte-identical, bounded memory

def _put_stream(port, host, target, size):
	c = dbh.Conn(port, timeout=120)
	c.sock.sendall(req("PUT", target, host, [("Content-Length",
	    str(size))]))
	mv = memoryview(dbh.PATTERN_BLOCK)
	full, tail = divmod(size, len(dbh.PATTERN_BLOCK))
	for _ in range(full):
		c.sock.sendall(mv)
	if tail:
		c.sock.sendall(mv[:tail])
	r = c.read_response(timeout=120)
	c.close()
	return r


def _get_stream(port, host, target):
	s = socket.create_connection(("127.0.0.1", port), timeout=120)
	s.sendall(req("GET", target, host))
	head = b""
	while b"\r\n\r\n" not in head:
		d = s.recv(65536)
		assert d, "closed before the head: %r" % head
		head += d
	head, rest = head.split(b"\r\n\r\n", 1)
	m = re.search(rb"(?i)content-length:\s*(\d+)", head)
	assert head.startswith(b"HTTP/1.1 200"), head
	assert m, head
	n = int(m.group(1))
	h = hashlib.sha256(rest)
	got = len(rest)
	buf = bytearray(1 << 20)
	mv = memoryview(buf)
	while got < n:
		k = s.recv_into(buf)
		if not k:
			break
		h.update(mv[:k])
		got += k
	s.close()
	return n, got, h.hexdigest()


def test_issue1_roundtrip_1gib_rss(world, pdb, files_box, monkeypatch,
    results):
	binary = release_bin()
	if not binary.exists():
		pytest.skip("no binary at %s" % binary)
	monkeypatch.setattr(dbh, "DRAWBRIDGE_BIN", binary)
	asan = is_asan(binary)
	p = pdb()
	size = GiB
	want = {}
	t = threading.Thread(target=lambda: want.setdefault("sha",
	    dbh.pattern_sha256(size)))
	t.start()
	tokf = world.token("files1")
	host = world.rt("files1")
	# warm: route cached, a transfer done, so the baseline is steady
	j = mint_ok(p.port, host, tokf, "upload", {"path": "/warm"})
	assert use(p.port, j["url"], body=b"w" * 65536).status == 200

	up = mint_ok(p.port, host, tokf, "upload", {"path": "/big/1g.bin",
	    "oneTime": True})
	uh, ut = target_of(up["url"])
	with dbh.RssSampler(p.pid) as rs:
		t0 = time.monotonic()
		r = _put_stream(p.port, uh, ut, size)
		dt_up = time.monotonic() - t0
		assert r.status == 200, r
		assert r.json()["bytesWritten"] == size, r
		t.join()
		files_box.pattern_shas[size] = want["sha"]
		dn = mint_ok(p.port, host, tokf, "download",
		    {"path": "/big/1g.bin", "oneTime": True})
		dh, dt = target_of(dn["url"])
		t0 = time.monotonic()
		n, got, sha = _get_stream(p.port, dh, dt)
		dt_dn = time.monotonic() - t0
	t.join()
	growth = rs.peak - rs.base
	results("%sJ01/issue1 presigned 1 GiB: up %.1f s (%.0f MiB/s), down "
	    "%.1f s (%.0f MiB/s), proxy RSS base %.1f MiB peak %.1f MiB growth "
	    "%.1f MiB (%s)" % ("[asan] " if asan else "", dt_up,
	    size / dt_up / (1 << 20), dt_dn, size / max(dt_dn, 1e-3) / (1 << 20),
	    rs.base / 1024, rs.peak / 1024, growth / 1024, binary))
	stored = files_box.files["/big/1g.bin"]
	assert stored[0] == size and stored[1] == want["sha"], \
	    "runtime stored %d bytes, sha %s" % stored[:2]
	assert (n, got) == (size, size), "download: %d of %d bytes" % (got, n)
	assert sha == want["sha"], "download differs from upload"
	if not asan:
		assert growth < 16 * 1024, "RSS grew %.1f MiB" % (growth / 1024)


# --------------------------------------------------------------------------
# issue test 2 / J04: one-time under concurrency

def _barrier_fire(port, host, target, n, codes):
	"""n connections, request heads written at once after a barrier;
	returns the statuses; (status, code, seconds) of answers other than
	200/401 are appended to codes."""
	conns = [dbh.Conn(port, timeout=15) for _ in range(n)]
	data = req("GET", target, host)
	t0 = [0.0]
	bar = threading.Barrier(n, action=lambda: t0.__setitem__(0,
	    time.monotonic()))
	out = [None] * n

	def go(i):
		try:
			bar.wait(10)
			conns[i].send(data)
			r = conns[i].read_response(timeout=15)
			out[i] = r.status
			if r.status not in (200, 401):
				codes.append((r.status, (r.json() or {}).get("code"),
				    round(time.monotonic() - t0[0], 3)))
		except Exception as e:	# noqa: BLE001 -- recorded, asserted
			out[i] = repr(e)
		finally:
			conns[i].close()
	ts = [threading.Thread(target=go, args=(i,)) for i in range(n)]
	for t in ts:
		t.start()
	for t in ts:
		t.join(30)
	return out


def test_J04_one_time_64_concurrent_x20(world, pdb, tok1, results):
	p = pdb(overrides={"max-connections": "4096"})
	spy = world.spy
	bad = []
	for trial in range(20):
		j = mint_ok(p.port, world.rt(), tok1, "download",
		    {"path": "/tmp/once-%d" % trial, "oneTime": True})
		host, target = target_of(j["url"])
		m0 = spy.mark()
		codes = []
		st = _barrier_fire(p.port, host, target, 64, codes)
		time.sleep(0.1)
		ok = [s for s in st if isinstance(s, int) and 200 <= s < 300]
		n401 = st.count(401)
		ups = [q for q in spy.since(m0) if "/tmp/once-%d" % trial in
		    parse_qs(urlsplit(q.target).query).get("path", [""])[0]]
		if len(ok) != 1 or n401 != 63 or len(ups) != 1:
			bad.append("trial %d: %d x 2xx, %d x 401, upstream %d, "
			    "others %r" % (trial, len(ok), n401, len(ups),
			    codes[:5]))
	results("J04 one-time 64 concurrent x 20: %d bad trials" % len(bad))
	assert not bad, "\n".join(bad)


def test_J04_one_time_sequential_and_head(world, pdb, tok1):
	p = pdb()
	j = mint_ok(p.port, world.rt(), tok1, "download",
	    {"path": "/tmp/seq", "oneTime": True})
	assert use(p.port, j["url"]).status == 200
	before = world.spy.total_bytes()
	r = use(p.port, j["url"])
	assert r.status == 401, r
	assert isinstance(r.json(), dict) and "code" in r.json(), r
	r = use(p.port, j["url"], method="HEAD")
	assert r.status in REFUSED, r
	no_upstream(world, before, "one-time URL reused")


# --------------------------------------------------------------------------
# issue test 3 / J06: state is in Redis, shared by every instance

def test_J06_two_instances_one_redis(world, pdb, tok1):
	a = pdb()
	b = pdb()
	j = mint_ok(a.port, world.rt(), tok1, "download",
	    {"path": "/tmp/ab", "oneTime": True})
	assert use(a.port, j["url"]).status == 200
	before = world.spy.total_bytes()
	r = use(b.port, j["url"])
	assert r.status == 401, r
	no_upstream(world, before, "one-time URL used on A, then on B")
	# minted on A, first used on B: B wins, A refuses
	j = mint_ok(a.port, world.rt(), tok1, "upload",
	    {"path": "/tmp/ba", "oneTime": True})
	assert use(b.port, j["url"], body=b"1").status == 200
	before = world.spy.total_bytes()
	assert use(a.port, j["url"], body=b"2").status == 401
	no_upstream(world, before, "one-time URL used on B, then on A")


def test_J06_one_time_survives_restart(world, pdb, tok1):
	a = pdb()
	j = mint_ok(a.port, world.rt(), tok1, "download",
	    {"path": "/tmp/restart", "oneTime": True})
	assert use(a.port, j["url"]).status == 200
	rc, problems = a.stop()
	assert not problems, problems
	a.start()
	deadline = time.monotonic() + 5
	while time.monotonic() < deadline:
		r = use(a.port, j["url"])
		if r.status != 503:
			break
		time.sleep(0.1)
	assert r.status == 401, r


# --------------------------------------------------------------------------
# issue test 4: refused without contacting the upstream

def test_J02_expired(world, pdb, tok1, psecret):
	p = pdb()
	now = int(time.time())
	for exp in (now - 3600, now - 1, now):
		tok = forge(psecret, std_payload(exp=exp))
		before = world.spy.total_bytes()
		r = use(p.port, "http://%s/sandbox/files/download?path=%s&token=%s"
		    % (world.rt(), quote("/tmp/f.txt", safe=""), tok))
		assert r.status == 401, (exp - now, r)
		no_upstream(world, before, "exp = now%+d" % (exp - now))
	# control: the same forged shape, not expired, is accepted (so the
	# 401s above are about expiry, and the format is as documented)
	tok = forge(psecret, std_payload(exp=now + 30))
	r = use(p.port, "http://%s/sandbox/files/download?path=%s&token=%s" % (
	    world.rt(), quote("/tmp/f.txt", safe=""), tok))
	assert r.status == 200, r
	# minted with a 1 s lifetime, used 2 s later
	j = mint_ok(p.port, world.rt(), tok1, "download",
	    {"path": "/tmp/short", "expiresInSeconds": 1})
	time.sleep(2.1)
	before = world.spy.total_bytes()
	assert use(p.port, j["url"]).status == 401
	no_upstream(world, before, "minted URL after expiry")


def test_J09_method_swapped(world, pdb, tok1):
	p = pdb()
	up = mint_ok(p.port, world.rt(), tok1, "upload", {"path": "/tmp/m"})
	dn = mint_ok(p.port, world.rt(), tok1, "download", {"path": "/tmp/m"})
	uq = urlsplit(up["url"]).query
	dq = urlsplit(dn["url"]).query
	cases = [
	    # an upload token on the download endpoint, and the reverse
	    ("GET", "/sandbox/files/download?" + uq, None),
	    ("PUT", "/sandbox/files/upload?" + dq, b"x"),
	    # the right endpoint, the wrong method
	    ("GET", "/sandbox/files/upload?" + uq, None),
	    ("PUT", "/sandbox/files/download?" + dq, b"x"),
	    ("POST", "/sandbox/files/upload?" + uq, b"x"),
	    ("POST", "/sandbox/files/download?" + dq, b"x"),
	    ("DELETE", "/sandbox/files/download?" + dq, None),
	    ("PATCH", "/sandbox/files/upload?" + uq, b"x"),
	    ("OPTIONS", "/sandbox/files/download?" + dq, None),
	    ("HEAD", "/sandbox/files/upload?" + uq, None),
	]
	fails = []
	for method, target, body in cases:
		before = world.spy.total_bytes()
		r = http(p.port, req(method, target, world.rt(), [], body),
		    method=method)
		time.sleep(0.03)
		d = world.spy.total_bytes() - before
		if r.status not in REFUSED or d:
			fails.append("%s %s -> %s, upstream %d bytes" % (method,
			    target[:60], r.status, d))
	assert not fails, "\n".join(fails)


def _path_variants(signed):
	enc = quote(signed, safe="")
	return [
	    quote("/tmp/other.txt", safe=""),
	    quote(signed + "/../b.txt", safe=""),
	    enc + "%2F..%2Fb.txt",
	    enc.replace("%2F", "%2f"),	# same bytes: must still pass (ctl)
	    quote("/tmp/./a.txt", safe=""),
	    quote("/tmp//a.txt", safe=""),
	    quote("/tmp/a.txt/", safe=""),
	    quote("/tmp/A.txt", safe=""),
	    "%2Ftmp%2F%61.txt",	# same bytes as /tmp/a.txt: passes (ctl)
	    "%252Ftmp%252Fa.txt",	# double-encoded
	    enc + "%00.png",
	    enc + ";x",
	    "%2E%2E%2Ftmp%2Fa.txt",
	    "..%2Ftmp%2Fa.txt",
	    "%2Ftmp%2F..%2Ftmp%2Fa.txt",
	    "%2Ftmp%2Fa.txt%20",
	    "%2Ftmp%2Fa.tx",
	    "",
	]


def test_J10_path_changed(world, pdb, tok1):
	p = pdb()
	signed = "/tmp/a.txt"
	dn = mint_ok(p.port, world.rt(), tok1, "download", {"path": signed})
	tok = dn["token"]
	fails = []
	for v in _path_variants(signed):
		target = "/sandbox/files/download?path=%s&token=%s" % (v, tok)
		same = v.replace("%2f", "%2F").replace("%61", "a") == quote(
		    signed, safe="")
		m0 = world.spy.mark()
		before = world.spy.total_bytes()
		r = http(p.port, req("GET", target, world.rt()))
		time.sleep(0.03)
		d = world.spy.total_bytes() - before
		if same:
			# another spelling of the same bytes: allowed, and the
			# runtime reads exactly the signed path
			got = world.spy.since(m0)
			rp = parse_qs(urlsplit(got[0].target).query).get("path") \
			    if got else None
			if r.status != 200 or rp != [signed]:
				fails.append("%s -> %s, runtime path %r" % (v,
				    r.status, rp))
		elif r.status not in REFUSED or d:
			fails.append("path=%s -> %s, upstream %d bytes" % (v,
			    r.status, d))
	# the URL path itself changed
	q = urlsplit(dn["url"]).query
	for t in ("/sandbox/files/../files/download?" + q,
	    "/sandbox/files/%2E%2E/files/download?" + q,
	    "/sandbox/files//download?" + q,
	    "/sandbox/files/download/?" + q,
	    "/sandbox/files/Download?" + q,
	    "/sandbox/files/download;x?" + q,
	    "/sandbox/files/upload?" + q):
		before = world.spy.total_bytes()
		r = http(p.port, req("GET", t, world.rt()))
		time.sleep(0.03)
		d = world.spy.total_bytes() - before
		if r.status not in REFUSED or d:
			fails.append("%s -> %s, upstream %d bytes" % (t[:50],
			    r.status, d))
	assert not fails, "\n".join(fails)


def test_J10_plus_reaches_runtime_as_signed(world, pdb, tok1):
	"""'+' is a literal plus to the verifier; a runtime that form-decodes
	the query would read a space.  Whatever spelling the client used, the
	runtime must be handed the signed bytes."""
	p = pdb()
	signed = "/tmp/a+b.txt"
	dn = mint_ok(p.port, world.rt(), tok1, "download", {"path": signed})
	for v in (quote(signed, safe=""), "/tmp/a+b.txt", "%2Ftmp%2Fa+b.txt"):
		m0 = world.spy.mark()
		r = http(p.port, req("GET", "/sandbox/files/download?path=%s"
		    "&token=%s" % (v, dn["token"]), world.rt()))
		time.sleep(0.03)
		got = world.spy.since(m0)
		if r.status in REFUSED and not got:
			continue	# refusing the ambiguous spelling is fine
		assert r.status == 200 and got, (v, r)
		rp = parse_qs(urlsplit(got[0].target).query).get("path")
		assert rp == [signed], "path=%s: runtime (form-decoding) reads " \
		    "%r, signed %r (target %s)" % (v, rp, signed, got[0].target)
	# and a URL signed for "/tmp/a b.txt" is not usable for "a+b"
	dn = mint_ok(p.port, world.rt(), tok1, "download",
	    {"path": "/tmp/a b.txt"})
	before = world.spy.total_bytes()
	r = http(p.port, req("GET", "/sandbox/files/download?path=%2Ftmp%2Fa+"
	    "b.txt&token=" + dn["token"], world.rt()))
	assert r.status in REFUSED, r
	no_upstream(world, before, "space signed, plus sent")


def test_J11_other_sandbox(world, pdb, tok2):
	p = pdb()
	j = mint_ok(p.port, world.rt("sbx2"), tok2, "download",
	    {"path": "/tmp/s2"})
	q = urlsplit(j["url"]).query
	for host, target in ((world.rt("sbx1"), "/sandbox/files/download?" + q),
	    (world.px, "/sandbox/sbx1/files/download?" + q),
	    (world.rt(world.uuid), "/sandbox/files/download?" + q),
	    (world.prot("sbx1"), "/sandbox/files/download?" + q),
	    (world.prot("sbx2"), "/sandbox/files/download?" + q)):
		# (a public exposed port is the sandbox's own app: what a
		# client sends there is forwarded as is, token or not)
		before = world.spy.total_bytes()
		r = http(p.port, req("GET", target, host))
		time.sleep(0.03)
		assert r.status in (401, 403), (host, r)
		no_upstream(world, before, "sbx2 URL on %s" % host)
	# control: on sbx2 it works
	assert use(p.port, j["url"]).status == 200


def test_tampered_and_unknown_key(world, pdb, tok1, psecret):
	p = pdb()
	j = mint_ok(p.port, world.rt(), tok1, "download", {"path": "/tmp/t"})
	tok = j["token"]
	v, kid, pl, mac = tok.split(".")
	body = json.loads(b64d(pl))
	cases = {}
	# one character changed in each field
	for i, part in enumerate((kid, pl, mac)):
		s = list(part)
		k = len(s) // 2
		s[k] = "A" if s[k] != "A" else "B"
		parts = [v, kid, pl, mac]
		parts[i + 1] = "".join(s)
		cases["flip-%d" % i] = ".".join(parts)
	# payload edited (longer expiry, other path, one-time off) and
	# re-encoded, MAC kept
	for k2, val in (("e", body["e"] + 86400), ("p", "/etc/shadow"),
	    ("o", 1 - body["o"]), ("s", "sbx2"), ("b", 1)):
		b2 = dict(body)
		b2[k2] = val
		cases["edit-" + k2] = ".".join([v, kid, b64u(json.dumps(b2,
		    separators=(",", ":"))), mac])
	# re-MACed wrongly: no domain prefix, another secret
	si = "%s.%s.%s" % (v, kid, pl)
	cases["mac-no-domain"] = si + "." + b64u(hmac.new(psecret, si.encode(),
	    hashlib.sha256).digest())
	cases["mac-other-secret"] = forge(b"x" * 48, body)
	cases["unknown-kid"] = forge(psecret, body, kid="p9")
	cases["jwt-shape"] = "%s.%s.%s" % (kid, pl, mac)
	cases["v2"] = tok.replace("v1.", "v2.", 1)
	cases["padded"] = tok + "="
	cases["empty"] = ""
	cases["huge"] = tok + "A" * 9000
	cases["bearer-jwt"] = tok1
	fails = []
	for name, t in cases.items():
		before = world.spy.total_bytes()
		r = http(p.port, req("GET", "/sandbox/files/download?path=%s"
		    "&token=%s" % (quote("/tmp/t", safe=""), quote(t, safe="")),
		    world.rt()))
		time.sleep(0.03)
		d = world.spy.total_bytes() - before
		ok = r.status in ((400, 401, 414) if name == "huge" else
		    (400, 401))
		if not ok or d:
			fails.append("%s -> %s, upstream %d bytes" % (name,
			    r.status, d))
	assert not fails, "\n".join(fails)


def test_J12_parameter_pollution(world, pdb, tok1):
	p = pdb()
	j = mint_ok(p.port, world.rt(), tok1, "download", {"path": "/tmp/pp"})
	tok = j["token"]
	pe = quote("/tmp/pp", safe="")
	fails = []
	for q in ("path=%s&token=%s&token=%s" % (pe, tok, tok),
	    "path=%s&path=%s&token=%s" % (pe, pe, tok),
	    "path=%s&path=%%2Fetc%%2Fpasswd&token=%s" % (pe, tok),
	    "path=%s&%%70ath=%%2Fetc%%2Fpasswd&token=%s" % (pe, tok),
	    "path=%s&token=%s&%%74oken=x" % (pe, tok),
	    "path=%%zz&token=%s" % tok,
	    "path=%s%%00&token=%s" % (pe, tok),
	    "token=%s" % tok):
		before = world.spy.total_bytes()
		r = http(p.port, req("GET", "/sandbox/files/download?" + q,
		    world.rt()))
		time.sleep(0.03)
		d = world.spy.total_bytes() - before
		if r.status not in REFUSED or d:
			fails.append("%s -> %s, upstream %d bytes" % (q[:70],
			    r.status, d))
	assert not fails, "\n".join(fails)


def test_F03_token_never_reaches_upstream(world, pdb, tok1):
	"""Whatever spelling the token parameter had, the sandbox does not
	get it (reusable URL: the sandbox could replay it)."""
	p = pdb()
	j = mint_ok(p.port, world.rt(), tok1, "download", {"path": "/tmp/leak"})
	tok = j["token"]
	pe = quote("/tmp/leak", safe="")
	for q in ("path=%s&token=%s" % (pe, tok),
	    "token=%s&path=%s" % (tok, pe),
	    "path=%s&%%74oken=%s" % (pe, tok),
	    "path=%s&tok%%65n=%s" % (pe, tok)):
		m0 = world.spy.mark()
		r = http(p.port, req("GET", "/sandbox/files/download?" + q,
		    world.rt()))
		time.sleep(0.03)
		for u in world.spy.since(m0):
			assert tok not in u.raw_head.decode("latin-1"), \
			    "%s: upstream got %s" % (q[:40], u.target[:120])
		assert r.status in (200,) + REFUSED, r


def test_J05_replay_spellings(world, pdb, tok1):
	p = pdb()
	j = mint_ok(p.port, world.rt(), tok1, "download",
	    {"path": "/tmp/r", "oneTime": True})
	tok = j["token"]
	pe = quote("/tmp/r", safe="")
	assert use(p.port, j["url"]).status == 200
	tweak = "%%%02X" % ord(tok[5]) + tok[6:]
	for host, target, method in (
	    (world.rt(), "/sandbox/files/download?token=%s&path=%s" % (tok, pe),
	     "GET"),
	    (world.rt(), "/sandbox/files/download?path=%s&token=%s%s" % (pe,
	     tok[:5], tweak), "GET"),
	    (world.rt(), "/sandbox/files/download?path=%s&token=%s&x=1" % (pe,
	     tok), "GET"),
	    (world.rt(), "/sandbox/files/download?path=%s&token=%s&" % (pe,
	     tok), "GET"),
	    (world.px, "/sandbox/sbx1/files/download?path=%s&token=%s" % (pe,
	     tok), "GET"),
	    (world.rt(), "/sandbox/files/download?path=%s&token=%s" % (pe,
	     tok), "HEAD")):
		before = world.spy.total_bytes()
		r = http(p.port, req(method, target, host), method=method)
		time.sleep(0.03)
		assert r.status in REFUSED, (target[:60], method, r)
		no_upstream(world, before, "replay %s %s" % (method, target[:60]))


def test_J17_max_bytes(world, pdb, tok1):
	p = pdb()
	j = mint_ok(p.port, world.rt(), tok1, "upload",
	    {"path": "/tmp/cap", "maxBytes": 1024})
	host, target = target_of(j["url"])
	# Content-Length over the cap: 413 before the body, upstream untouched
	before = world.spy.total_bytes()
	r = http(p.port, req("PUT", target, host, [], b"x" * 2048))
	assert r.status == 413, r
	no_upstream(world, before, "PUT over maxBytes with Content-Length")
	# exactly the cap: fine
	m0 = world.spy.mark()
	r = http(p.port, req("PUT", target, host, [], b"y" * 1024))
	assert r.status == 200, r
	time.sleep(0.05)
	assert world.spy.since(m0)[0].body_len == 1024
	# chunked past the cap: cut, the runtime never sees more than the cap
	m0 = world.spy.mark()
	c = dbh.Conn(p.port, timeout=10)
	c.send(req("PUT", target, host, [("Transfer-Encoding", "chunked")]))
	for _ in range(8):
		if not c.send(b"200\r\n" + b"z" * 512 + b"\r\n"):
			break
		time.sleep(0.01)
	c.send(b"0\r\n\r\n")
	r = c.read_response(timeout=10)
	c.close()
	time.sleep(0.1)
	assert r.status in (413, None) or r.closed, r
	assert r.status != 200, r
	for u in world.spy.since(m0):
		assert u.body_len <= 1024, "runtime got %d bytes" % u.body_len


def test_J19_presign_plus_other_bearer(world, pdb, tok1, tok2):
	"""Scopes are never merged: a sbx1 URL with a sbx2 bearer does not
	reach sbx1 with the bearer, and the token never reaches a runtime."""
	p = pdb()
	j = mint_ok(p.port, world.rt(), tok1, "download", {"path": "/tmp/j19"})
	host, target = target_of(j["url"])
	m0 = world.spy.mark()
	r = http(p.port, req("GET", target, host, [auth(tok2)]))
	time.sleep(0.05)
	for u in world.spy.since(m0):
		raw = u.raw_head.decode("latin-1")
		assert tok2 not in raw and j["token"] not in raw, u.target
	assert r.status in (200, 401, 403), r


# --------------------------------------------------------------------------
# issue test 5: minting needs a valid bearer; lifetime cap

def test_mint_requires_bearer(world, pdb, tok1, tok2):
	p = pdb()
	before = world.spy.total_bytes()
	for tok, want in ((None, 401), ("garbage", 401), (tok2, 401),
	    (world.mint(sbx="sbx1", ttl=-120), 401),
	    (dbh.mint(b"k" * 48, sbx="sbx1"), 401)):
		for op in ("upload", "download"):
			r = presign(p.port, world.rt(), tok, op, {"path": "/tmp/a"})
			assert r.status == want, (tok and tok[:20], op, r)
			assert "token" not in (r.json() or {}), r
	no_upstream(world, before, "presign without a valid bearer")


def test_mint_request_validation(world, pdb, tok1):
	p = pdb(overrides={"presign-max-ttl": "10m",
	    "presign-default-ttl": "2m"})
	before = world.spy.total_bytes()
	r = presign(p.port, world.rt(), tok1, "download",
	    {"path": "/tmp/a", "expiresInSeconds": 601})
	assert r.status == 400, r
	r = presign(p.port, world.rt(), tok1, "download",
	    {"path": "/tmp/a", "expiresInSeconds": 600})
	assert r.status == 200, r
	assert 595e3 < r.json()["expiresAt"] - time.time() * 1000 <= 601e3
	r = presign(p.port, world.rt(), tok1, "download", {"path": "/tmp/a"})
	assert 115e3 < r.json()["expiresAt"] - time.time() * 1000 <= 121e3
	for body in (b"", b"{", b"[]", b'{"path":1}', b'{"path":""}',
	    b'{"path":"/a","expiresInSeconds":0}',
	    b'{"path":"/a","expiresInSeconds":"60"}',
	    b'{"path":"/a","oneTime":"yes"}',
	    b'{"path":"/a","path":"/b"}', b'{"path":"/a\\nb"}'):
		r = presign(p.port, world.rt(), tok1, "upload", body)
		assert r.status == 400, (body, r)
	no_upstream(world, before, "presign requests")
	# the endpoint is POST only and answered locally
	r = http(p.port, req("GET", "/sandbox/files/presign-upload",
	    world.rt(), [auth(tok1)]))
	assert r.status != 200 or "token" not in (r.json() or {}), r


def test_mint_not_on_exposed_port(world, pdb, tok1):
	p = pdb()
	m0 = world.spy.mark()
	r = presign(p.port, world.prot(), world.token("sbx1"), "upload",
	    {"path": "/tmp/a"})
	# an exposed port is the sandbox's app: no presign answer from us
	assert "token" not in (r.json() or {}), r


# --------------------------------------------------------------------------
# J07: Redis down

def test_J07_redis_down(world, pdb, tok1):
	p = pdb(overrides={"workers": "1"})
	one = mint_ok(p.port, world.rt(), tok1, "download",
	    {"path": "/tmp/r1", "oneTime": True})
	reuse = mint_ok(p.port, world.rt(), tok1, "download",
	    {"path": "/tmp/r2"})
	warm(p.port, world, tok1)
	world.redis.sigstop()
	try:
		before = world.spy.total_bytes()
		t0 = time.monotonic()
		r = use(p.port, one["url"])
		dt = time.monotonic() - t0
		assert r.status == 503, r
		assert dt < dbh.T_REDIS + 1.0, "503 after %.2f s" % dt
		no_upstream(world, before, "one-time URL with Redis stopped")
		r = use(p.port, reuse["url"])
		assert r.status == 200, r
	finally:
		world.redis.sigcont()
	# Redis back: the one-time URL still works exactly once
	deadline = time.monotonic() + 5
	while True:
		r = use(p.port, one["url"])
		if r.status != 503 or time.monotonic() > deadline:
			break
		time.sleep(0.1)
	assert r.status == 200, r
	assert use(p.port, one["url"]).status == 401


def test_J07_redis_killed(world, pdb, tok1):
	p = pdb(overrides={"workers": "1"})
	one = mint_ok(p.port, world.rt(), tok1, "download",
	    {"path": "/tmp/k1", "oneTime": True})
	reuse = mint_ok(p.port, world.rt(), tok1, "download",
	    {"path": "/tmp/k2"})
	warm(p.port, world, tok1)
	world.redis.kill()
	try:
		before = world.spy.total_bytes()
		r = use(p.port, one["url"])
		assert r.status == 503, r
		assert r.header("retry-after") is not None, r
		no_upstream(world, before, "one-time URL with Redis dead")
		assert use(p.port, reuse["url"]).status == 200
	finally:
		world.redis.ensure_up()
		world.restore()


# --------------------------------------------------------------------------
# tokens stay out of the logs

def test_token_not_in_access_log(world, pdb, tok1):
	p = pdb()
	toks = []
	for op, oneTime in (("upload", False), ("download", True)):
		j = mint_ok(p.port, world.rt(), tok1, op,
		    {"path": "/tmp/log", "oneTime": oneTime})
		toks.append(j["token"])
		use(p.port, j["url"], body=b"1" if op == "upload" else None)
		use(p.port, j["url"], body=b"1" if op == "upload" else None)
		bad = j["url"].replace("token=v1.", "token=v1.A")
		use(p.port, bad, body=b"1" if op == "upload" else None)
	time.sleep(0.2)
	log = p.log_text()
	for t in toks:
		for part in [t] + t.split(".")[1:]:
			if len(part) >= 8:
				assert part not in log, "token part in the log"
	acc = [l for l in log.splitlines() if "access:" in l and
	    "/files/" in l]
	assert len(acc) >= 6, log[-2000:]
	assert all("token=" not in l or re.search(r"(?i)token=(?:\[|\*|-|<|"
	    r"x+\b|&|\s|redacted)", l) for l in acc), acc

"""TLS termination (issue 4; catalog group N, and B17) on real processes.

Certificates: scripts/devca.sh makes the CA and the *.sb.test certificate
(so the script the README demo uses is exercised too); the others are
signed by that CA here with python3-cryptography.  Every certificate's CN
names it, so a handshake tells which one was served:

  default   default.test          first tls-cert: the default
  sb.test   sb.test, *.sb.test    from devca.sh
  exact     exact.sb.test         an exact name beats the wildcard
  wild-a    *.a.test              one label only: x.y.a.test -> default
  sb v2     sb.test, *.sb.test    the replacement in the reload tests

Clients: openssl s_client (certificate choice, versions, ALPN,
renegotiation), curl --cacert (every route form), and Python's ssl
module through a TLS subclass of dbh.Conn (raw bytes, 1-byte records,
close_notify, SNI/Host mismatch).

The 1 GiB transfers are marked slow and run on the release build
($DRAWBRIDGE_RELEASE_BIN, else $DRAWBRIDGE_BIN).

Run with Debian's /usr/bin/python3 only.
"""

import base64
import datetime
import hashlib
import os
import re
import select
import signal
import socket
import ssl
import subprocess
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

import dbh

DEVCA = dbh.REPO / "scripts" / "devca.sh"
DOMAIN = dbh.DOMAIN
T_TLS = 1.0			# timeout-tls-handshake in these tests
GIB = 1 << 30
MIB = 1 << 20
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


# --------------------------------------------------------------------------
# Certificates

@dataclass
class Pair:
	crt: bytes
	key: bytes


@dataclass
class Pki:
	dir: Path
	ca: Path
	certs: dict		# name -> Pair


def _pem_key(k):
	return k.private_bytes(serialization.Encoding.PEM,
	    serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


def _sign(ca_cert, ca_key, cn, names, days=90, start=-1):
	k = ec.generate_private_key(ec.SECP256R1())
	now = datetime.datetime.now(datetime.timezone.utc)
	b = (x509.CertificateBuilder()
	    .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME,
	        cn)]))
	    .issuer_name(ca_cert.subject)
	    .public_key(k.public_key())
	    .serial_number(x509.random_serial_number())
	    .not_valid_before(now + datetime.timedelta(days=start))
	    .not_valid_after(now + datetime.timedelta(days=days))
	    .add_extension(x509.SubjectAlternativeName(
	        [x509.DNSName(n) for n in names]), critical=False)
	    .add_extension(x509.BasicConstraints(ca=False, path_length=None),
	        critical=True)
	    .add_extension(x509.ExtendedKeyUsage(
	        [x509.oid.ExtendedKeyUsageOID.SERVER_AUTH]), critical=False))
	c = b.sign(ca_key, hashes.SHA256())
	return Pair(c.public_bytes(serialization.Encoding.PEM), _pem_key(k))


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
	d = tmp_path_factory.mktemp("pki")
	p = subprocess.run([str(DEVCA), str(d), DOMAIN], capture_output=True,
	    timeout=30)
	assert p.returncode == 0, p.stderr.decode(errors="replace")
	out = p.stdout.decode()
	assert "--cacert" in out and "certutil" in out, out
	for n in ("ca.key", DOMAIN + ".key"):
		assert (d / n).stat().st_mode & 0o777 == 0o600, n
	ca_cert = x509.load_pem_x509_certificate((d / "ca.crt").read_bytes())
	ca_key = serialization.load_pem_private_key(
	    (d / "ca.key").read_bytes(), None)
	leaf = x509.load_pem_x509_certificate(
	    (d / (DOMAIN + ".crt")).read_bytes())
	san = leaf.extensions.get_extension_for_class(
	    x509.SubjectAlternativeName).value.get_values_for_type(x509.DNSName)
	assert sorted(san) == sorted([DOMAIN, "*." + DOMAIN])
	certs = {
	    "sb": Pair((d / (DOMAIN + ".crt")).read_bytes(),
	        (d / (DOMAIN + ".key")).read_bytes()),
	    "default": _sign(ca_cert, ca_key, "default", ["default.test"]),
	    "exact": _sign(ca_cert, ca_key, "exact", ["exact." + DOMAIN]),
	    "wilda": _sign(ca_cert, ca_key, "wild-a", ["*.a.test"]),
	    "sb2": _sign(ca_cert, ca_key, "sb v2", [DOMAIN, "*." + DOMAIN]),
	    "soon": _sign(ca_cert, ca_key, "soon", ["soon.test"], days=5),
	    "expired": _sign(ca_cert, ca_key, "expired", ["old.test"],
	        days=-1, start=-30),
	}
	return Pki(d, d / "ca.crt", certs)


def tls_setup(pki, port, names, key_mode=0o600):
	"""(extra lines, files) for a TLS listener on port serving names."""
	lines = ["listen 127.0.0.1:%d tls" % port]
	files = {}
	for n in names:
		lines.append("tls-cert %s.crt %s.key" % (n, n))
		files[n + ".crt"] = (pki.certs[n].crt, 0o644)
		files[n + ".key"] = (pki.certs[n].key, key_mode)
	return lines, files


def put_pair(d, name, pair):
	"""Replace name.crt/name.key in d (atomically, as a deploy would)."""
	for ext, data, mode in ((".crt", pair.crt, 0o644),
	    (".key", pair.key, 0o600)):
		tmp = Path(d) / (name + ext + ".new")
		tmp.write_bytes(data)
		os.chmod(tmp, mode)
		os.replace(tmp, Path(d) / (name + ext))


# --------------------------------------------------------------------------
# Clients

def s_client(port, sni, args=(), stdin=b"", timeout=10):
	"""openssl s_client; returns (rc, combined output)."""
	cmd = ["openssl", "s_client", "-connect", "127.0.0.1:%d" % port]
	cmd += ["-servername", sni] if sni is not None else ["-noservername"]
	p = subprocess.run(cmd + list(args), input=stdin, capture_output=True,
	    timeout=timeout)
	return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


def served_cn(port, sni, args=()):
	rc, out = s_client(port, sni, args)
	m = re.search(r"^subject=.*?CN\s*=\s*([^,\n]+)", out, re.M)
	if rc != 0 or m is None:
		return None
	return m.group(1).strip()


def cn_of(der):
	c = x509.load_der_x509_certificate(der)
	return c.subject.get_attributes_for_oid(NameOID.COMMON_NAME)[0].value


class TlsConn(dbh.Conn):
	"""dbh.Conn over TLS: SNI sni (None: none), trusting the test CA but
	not checking the name (SNI/Host mismatch is the point of some
	tests).  ragged=False makes an EOF without close_notify an error."""

	def __init__(self, port, sni, ca, timeout=10.0, ragged=True,
	    alpn=None):
		raw = socket.create_connection(("127.0.0.1", port),
		    timeout=timeout)
		raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
		ctx = ssl.create_default_context(cafile=str(ca))
		ctx.check_hostname = False
		if alpn:
			ctx.set_alpn_protocols(alpn)
		self.sock = ctx.wrap_socket(raw, server_hostname=sni,
		    suppress_ragged_eofs=ragged)
		self.timeout = timeout
		self.buf = b""
		self.eof = False
		self.reset = False

	def cn(self):
		return cn_of(self.sock.getpeercert(binary_form=True))


def https(port, sni, ca, data, timeout=10.0):
	c = TlsConn(port, sni, ca, timeout=timeout)
	try:
		c.send(data)
		return c.read_response(method=data.split(b" ", 1)[0].decode())
	finally:
		c.close()


def curl(port, host, path, ca, headers=(), extra=(), timeout=30):
	"""curl over TLS with --resolve; returns (status, body bytes)."""
	cmd = ["curl", "-sS", "--cacert", str(ca), "--resolve",
	    "%s:%d:127.0.0.1" % (host, port), "-o", "-", "-w",
	    "\n%{http_code}", "https://%s:%d%s" % (host, port, path)]
	for n, v in headers:
		cmd += ["-H", "%s: %s" % (n, v)]
	p = subprocess.run(cmd + list(extra), capture_output=True,
	    timeout=timeout)
	assert p.returncode == 0, "curl rc=%d: %s" % (p.returncode,
	    p.stderr.decode(errors="replace"))
	body, _, code = p.stdout.rpartition(b"\n")
	return int(code), body


# --------------------------------------------------------------------------
# Proxies

def wait_https(proxy, world, ca, timeout=10.0):
	data = dbh.req("GET", "/ready", world.pub("sbx1"))
	deadline = time.monotonic() + timeout
	last = None
	while time.monotonic() < deadline:
		try:
			last = https(proxy.tls_port, world.pub("sbx1"), ca, data,
			    timeout=2)
			if last.status == 200:
				return
		except (OSError, ssl.SSLError) as e:
			last = e
		time.sleep(0.05)
	raise AssertionError("TLS listener not ready: %r\nlog:\n%s" % (last,
	    proxy.log_text()[-3000:]))


def start_tls_proxy(d, world, pki, names=("default", "sb", "exact", "wilda"),
    overrides=None, extra=(), ready=True):
	port = dbh.free_port()
	lines, files = tls_setup(pki, port, names)
	ov = {"timeout-tls-handshake": "%gs" % T_TLS}
	ov.update(overrides or {})
	p = dbh.Proxy(d, world.redis.port, world.secret, ov,
	    lines + list(extra), files)
	p.tls_port = port
	p.start()
	if ready:
		wait_https(p, world, pki.ca)
	return p


@pytest.fixture(scope="module")
def _tls_mod(world, pki, tmp_path_factory):
	holder = {}

	def start():
		holder["p"] = start_tls_proxy(tmp_path_factory.mktemp("tlsproxy"),
		    world, pki)
		return holder["p"]
	start()
	holder["start"] = start
	yield holder
	rc, problems = holder["p"].stop()
	if problems:
		pytest.fail("module TLS proxy: " + "; ".join(problems),
		    pytrace=False)


@pytest.fixture
def tp(_tls_mod):
	"""The shared TLS proxy; the test fails if it died or logged a
	sanitizer report or fatal during the test."""
	p = _tls_mod["p"]
	if not p.alive():
		p = _tls_mod["start"]()
	off = p.log_size()
	yield p
	problems = []
	if not p.alive():
		problems.append("drawbridge died (rc=%s)" % p.proc.returncode)
	bad = p.bad_log(off)
	if bad:
		problems.append("log: " + " | ".join(bad[:5]))
	if problems:
		tail = p.log_text(off)[-3000:]
		if not p.alive():
			p.stop()
			_tls_mod["start"]()
		pytest.fail("; ".join(problems) + "\nlog tail:\n" + tail,
		    pytrace=False)


@pytest.fixture
def own_proxy(world, pki, tmp_path):
	"""Factory for a private TLS proxy, stopped and checked at teardown."""
	started = []

	def factory(**kw):
		p = start_tls_proxy(tmp_path / ("tls%d" % len(started)), world,
		    pki, **kw)
		started.append(p)
		return p
	yield factory
	problems = []
	for p in started:
		problems += p.stop()[1]
	if problems:
		pytest.fail("drawbridge: " + "; ".join(problems), pytrace=False)


def release_bin():
	p = os.environ.get("DRAWBRIDGE_RELEASE_BIN")
	if not p:
		return dbh.DRAWBRIDGE_BIN
	p = Path(p)
	return p if p.is_absolute() else dbh.REPO / p


def wait_log(proxy, pattern, offset, timeout=10.0):
	deadline = time.monotonic() + timeout
	while time.monotonic() < deadline:
		m = re.search(pattern, proxy.log_text(offset))
		if m:
			return m
		time.sleep(0.05)
	raise AssertionError("log never matched %r:\n%s" % (pattern,
	    proxy.log_text(offset)[-3000:]))


def sighup(proxy, expect):
	off = proxy.log_size()
	proxy.proc.send_signal(signal.SIGHUP)
	return wait_log(proxy, expect, off)


def check_config(proxy):
	p = subprocess.run([str(dbh.DRAWBRIDGE_BIN), "-t", "-c",
	    str(proxy.conf)], capture_output=True, timeout=20)
	return p.returncode, (p.stdout + p.stderr).decode(errors="replace")


# --------------------------------------------------------------------------
# A WebSocket upstream for the reload test: a valid 101, then byte echo.

class WsEcho:
	def __init__(self, host):
		self.srv = socket.socket()
		self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		self.srv.bind((host, 0))
		self.srv.listen(16)
		self.port = self.srv.getsockname()[1]
		self.accepted = 0
		threading.Thread(target=self._accept, daemon=True).start()

	def _accept(self):
		while True:
			try:
				c, _ = self.srv.accept()
			except OSError:
				return
			self.accepted += 1
			threading.Thread(target=self._serve, args=(c,),
			    daemon=True).start()

	@staticmethod
	def _serve(c):
		try:
			buf = b""
			while b"\r\n\r\n" not in buf:
				d = c.recv(65536)
				if not d:
					return
				buf += d
			head, rest = buf.split(b"\r\n\r\n", 1)
			key = b""
			for line in head.split(b"\r\n")[1:]:
				n, _, v = line.partition(b":")
				if n.strip().lower() == b"sec-websocket-key":
					key = v.strip()
			acc = base64.b64encode(hashlib.sha1(key + WS_GUID).digest())
			c.sendall(b"HTTP/1.1 101 Switching Protocols\r\n"
			    b"Upgrade: websocket\r\nConnection: Upgrade\r\n"
			    b"Sec-WebSocket-Accept: " + acc + b"\r\n\r\n" + rest)
			while True:
				d = c.recv(65536)
				if not d:
					return
				c.sendall(d)
		except OSError:
			pass
		finally:
			c.close()

	def close(self):
		self.srv.close()


# --------------------------------------------------------------------------
# N07, issue test 1: the certificate each SNI gets

def test_N07_sni_selection(tp, world):
	long_name = ".".join(["a" * 62] * 4) + ".test"	# 256 bytes: > 253
	cases = [
	    ("exact." + DOMAIN, "exact"),		# exact beats *.sb.test
	    ("sbx1." + DOMAIN, DOMAIN),			# wildcard
	    (world.pub("sbx1"), DOMAIN),		# <port>-<id>: one label
	    (world.rt("sbx1").upper() + ".", DOMAIN),	# case, trailing dot
	    (DOMAIN, DOMAIN),				# bare name from the SAN
	    ("a.b." + DOMAIN, "default"),		# two labels deep
	    ("x.a.test", "wild-a"),
	    ("x.y.a.test", "default"),			# *.a.test is one label
	    ("a.test", "default"),
	    ("unknown.example", "default"),
	    (long_name[:253], "default"),
	    (None, "default"),				# no SNI
	]
	got = {sni: served_cn(tp.tls_port, sni) for sni, _ in cases}
	bad = ["%s -> %s (want %s)" % (sni, got[sni], want)
	    for sni, want in cases if got[sni] != want]
	assert not bad, "; ".join(bad)
	# A name longer than DNS allows: served the default or refused, and
	# the proxy lives on (checked by the fixture).
	assert served_cn(tp.tls_port, long_name) in ("default", None)


def test_N07_no_sni_refused_by_config(own_proxy, world, pki):
	p = own_proxy(overrides={"tls-no-sni": "refuse"})
	assert served_cn(p.tls_port, None) is None
	assert served_cn(p.tls_port, "unknown.example") == "default"
	assert served_cn(p.tls_port, world.rt()) == DOMAIN


# --------------------------------------------------------------------------
# N01, N02, N06: protocol policy

def test_N01_protocol_versions(tp):
	legacy = ["-cipher", "DEFAULT:@SECLEVEL=0"]
	for flag in ("-tls1", "-tls1_1"):
		rc, out = s_client(tp.tls_port, "x." + DOMAIN, [flag] + legacy)
		assert rc != 0 and "Cipher is (NONE)" in out, (flag, out[-800:])
		assert re.search(r"alert protocol version|unsupported protocol|"
		    r"no protocols available", out), (flag, out[-800:])
	rc, out = s_client(tp.tls_port, "x." + DOMAIN, ["-tls1_3"])
	assert rc == 0 and "New, TLSv1.3" in out, out[-800:]
	rc, out = s_client(tp.tls_port, "x." + DOMAIN, ["-tls1_2"])
	m = re.search(r"New, TLSv1\.2, Cipher is (\S+)", out)
	assert rc == 0 and m, out[-800:]
	# forward secrecy, AEAD only
	assert m.group(1).startswith("ECDHE-") and ("GCM" in m.group(1) or
	    "CHACHA20" in m.group(1)), m.group(1)


def test_N01_weak_ciphers_refused(tp):
	for suite in ("ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384",
	    "AES128-GCM-SHA256", "ECDHE-RSA-AES128-GCM-SHA256"):
		rc, out = s_client(tp.tls_port, "x." + DOMAIN,
		    ["-tls1_2", "-cipher", suite])
		assert rc != 0 and "Cipher is (NONE)" in out, (suite,
		    out[-600:])


def test_N06_alpn(tp):
	cases = [("h2,http/1.1", "http/1.1"), ("http/1.1", "http/1.1"),
	    (None, None)]
	for offer, want in cases:
		args = ["-alpn", offer] if offer else []
		rc, out = s_client(tp.tls_port, "x." + DOMAIN, args)
		assert rc == 0, (offer, out[-600:])
		if want:
			assert "ALPN protocol: %s" % want in out, (offer, out[-600:])
		else:
			assert "No ALPN negotiated" in out, out[-600:]
	rc, out = s_client(tp.tls_port, "x." + DOMAIN, ["-alpn", "h2"])
	assert rc != 0 and "no application protocol" in out, out[-600:]


def test_N02_renegotiation_refused(tp):
	rc, out = s_client(tp.tls_port, "x." + DOMAIN, ["-tls1_2"],
	    stdin=b"R\n")
	assert "RENEGOTIATING" in out, out[-600:]
	assert "no renegotiation" in out, out[-600:]
	# ... and the connection still served nothing twice: one handshake.
	assert out.count("New, TLSv1.2") == 1


# --------------------------------------------------------------------------
# Every route form over TLS (issue test 2), X-Forwarded-Proto https

def test_route_forms_over_tls(tp, world, pki, tok1):
	spy = world.spy
	uuid = world.uuid
	cases = [
	    # host, path, headers, status, listener, upstream target
	    (world.rt("sbx1"), "/rt?x=1", [dbh.auth(tok1)], 200,
	        "sbx1/runtime", "/rt?x=1"),
	    (world.pub("sbx1"), "/pub", [], 200, "sbx1/pub", "/pub"),
	    (world.prot("sbx1"), "/prot", [dbh.auth(tok1)], 200, "sbx1/prot",
	        "/prot"),
	    (world.pub(uuid), "/u", [], 200, "uuid/pub", "/u"),
	    (dbh.PATH_HOST, "/sandbox/sbx1/p/q?k=v", [dbh.auth(tok1)], 200,
	        "sbx1/runtime", "/sandbox/p/q?k=v"),
	    (world.prot("sbx1"), "/prot", [], 401, None, None),
	    (world.unex("sbx1"), "/u", [], 403, None, None),
	    ("%d-zzzz.%s" % (world.PUB, DOMAIN), "/", [], 404, None, None),
	]
	for host, path, hdrs, status, lname, target in cases:
		m0 = spy.mark()
		code, body = curl(tp.tls_port, host, path, pki.ca, hdrs)
		dbh.settle(spy)
		got = spy.since(m0)
		assert code == status, (host, path, code, body[:300])
		if lname is None:
			assert not got, (host, path, "reached upstream")
			continue
		assert len(got) == 1 and got[0].listener == lname, (host, got)
		r = got[0]
		assert r.target == target, (host, r.target)
		assert r.header("x-forwarded-proto") == "https", r.headers
		assert r.header("x-forwarded-host").split(":")[0] == host
		assert r.header("authorization") is None


# --------------------------------------------------------------------------
# B17 / N07: SNI and Host disagree -> Host decides (routing and auth)

def test_B17_sni_host_mismatch(tp, world, pki, tok1):
	spy = world.spy
	# SNI names sbx1's public port, Host names sbx2's: routed to sbx2.
	m0 = spy.mark()
	r = https(tp.tls_port, world.pub("sbx1"), pki.ca,
	    dbh.req("GET", "/b17", world.pub("sbx2")))
	dbh.settle(spy)
	assert r.status == 200, r
	got = spy.since(m0)
	assert [q.listener for q in got] == ["sbx2/pub"], got
	# SNI names sbx1's runtime, Host a protected port without a token:
	# the credential check of the Host applies.
	m0 = spy.mark()
	r = https(tp.tls_port, world.rt("sbx1"), pki.ca,
	    dbh.req("GET", "/b17", world.prot("sbx2")))
	assert r.status == 401, r
	# sbx1's token presented on a connection whose SNI is sbx1, for
	# Host sbx2: the token is checked against sbx2 and refused.
	r = https(tp.tls_port, world.rt("sbx1"), pki.ca,
	    dbh.req("GET", "/b17", world.rt("sbx2"), [dbh.auth(tok1)]))
	assert r.status == 401, r
	assert (r.json() or {}).get("code") == "token_wrong_sandbox", r
	# No SNI: default certificate, normal Host rules.
	c = TlsConn(tp.tls_port, None, pki.ca)
	try:
		assert c.cn() == "default"
		c.send(dbh.req("GET", "/nosni", world.pub("sbx1")))
		r = c.read_response()
	finally:
		c.close()
	dbh.settle(spy)
	assert r.status == 200, r
	assert [q.listener for q in spy.since(m0)] == ["sbx1/pub"]


# --------------------------------------------------------------------------
# N09: 1-byte TLS records; keep-alive; close_notify

def test_N09_one_byte_records(tp, world, pki):
	c = TlsConn(tp.tls_port, world.pub("sbx1"), pki.ca)
	try:
		data = dbh.req("POST", "/tiny", world.pub("sbx1"), body=b"hello")
		for i in range(len(data)):
			c.sock.send(data[i:i + 1])	# one record per byte
		r = c.read_response()
		assert r.status == 200, r
		j = r.json()
		assert j["body_len"] == 5 and j["target"] == "/tiny", j
		# keep-alive: a second request on the same TLS connection
		c.send(dbh.req("GET", "/again", world.pub("sbx1")))
		r = c.read_response()
		assert r.status == 200 and r.json()["target"] == "/again"
	finally:
		c.close()


def test_close_notify(tp, world, pki):
	"""A close by the proxy ends with close_notify (libevent never sends
	it; Python raises SSLEOFError without it when ragged EOFs are not
	suppressed)."""
	for data, status in (
	    (dbh.req("GET", "/bye", world.pub("sbx1"), [("Connection",
	        "close")]), 200),
	    (b"GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400)):
		c = TlsConn(tp.tls_port, world.pub("sbx1"), pki.ca, ragged=False)
		try:
			c.send(data)
			r = c.read_response()
			assert r.status == status, r
			c.sock.settimeout(5)
			assert c.sock.recv(100) == b""	# close_notify, then EOF
		finally:
			c.close()


# --------------------------------------------------------------------------
# N04, issue test 4: stalled handshakes are dropped at the deadline

def test_N04_handshake_timeout(tp, world, pki):
	hello_part = bytes.fromhex("16030102000100") + b"\x01\xfc\x03"
	socks = []
	t0 = time.monotonic()
	for i in range(40):
		s = socket.create_connection(("127.0.0.1", tp.tls_port))
		if i % 2:
			s.sendall(hello_part)	# 10 bytes of a ClientHello
		socks.append(s)
	# Meanwhile a real client gets through.
	r = https(tp.tls_port, world.pub("sbx1"), pki.ca,
	    dbh.req("GET", "/control", world.pub("sbx1")))
	assert r.status == 200, r
	closed_at = {}
	deadline = t0 + T_TLS + 4
	while len(closed_at) < len(socks) and time.monotonic() < deadline:
		live = [s for s in socks if s not in closed_at]
		rd, _, _ = select.select(live, [], [], 0.1)
		for s in rd:
			try:
				d = s.recv(4096)
			except ConnectionResetError:
				d = b""
			if not d:
				closed_at[s] = time.monotonic() - t0
			# an alert before the close is fine; keep waiting for EOF
	for s in socks:
		s.close()
	assert len(closed_at) == len(socks), "%d of %d stalled handshakes " \
	    "still open after %.1fs" % (len(socks) - len(closed_at),
	    len(socks), T_TLS + 4)
	early = [t for t in closed_at.values() if t < T_TLS * 0.8]
	assert not early, "closed before the deadline: %r" % early
	wait_https(tp, world, pki.ca)


# --------------------------------------------------------------------------
# N10, issue test 3: reload with a new certificate while streams are open

def test_N10_reload_new_cert_keeps_streams(own_proxy, world, pki):
	p = own_proxy(names=("default", "sb"))
	ws = WsEcho("127.0.0.5")
	try:
		world.put("tlsws", world.record("127.0.0.5", 4001,
		    {ws.port: "public"}))
		ws_host = "%d-tlsws.%s" % (ws.port, DOMAIN)
		assert served_cn(p.tls_port, world.rt()) == DOMAIN

		# A WebSocket through TLS.
		w = TlsConn(p.tls_port, ws_host, pki.ca)
		key = base64.b64encode(os.urandom(16)).decode()
		w.send(dbh.req("GET", "/ws", ws_host, [("Upgrade", "websocket"),
		    ("Connection", "Upgrade"), ("Sec-WebSocket-Key", key),
		    ("Sec-WebSocket-Version", "13")]))
		r = w.read_response()
		assert r.status == 101, r
		w.sock.sendall(b"before")
		assert _read_n(w, 6) == b"before"

		# A keep-alive connection and a long download.
		k = TlsConn(p.tls_port, world.pub("sbx1"), pki.ca)
		k.send(dbh.req("GET", "/k1", world.pub("sbx1")))
		assert k.read_response().status == 200
		size = 192 * MIB
		dl = subprocess.Popen(["curl", "-sS", "--cacert", str(pki.ca),
		    "--limit-rate", "48M", "--resolve", "%s:%d:127.0.0.1" % (
		    world.pub("sbx1"), p.tls_port),
		    "https://%s:%d/download?size=%d" % (world.pub("sbx1"),
		    p.tls_port, size)], stdout=subprocess.PIPE,
		    stderr=subprocess.PIPE)
		h = hashlib.sha256()
		got = 0
		while got < 8 * MIB:
			d = dl.stdout.read(MIB)
			assert d, dl.stderr.read()
			h.update(d)
			got += len(d)

		put_pair(p.dir, "sb", pki.certs["sb2"])
		sighup(p, r"configuration reloaded")
		assert served_cn(p.tls_port, world.rt()) == "sb v2"
		assert served_cn(p.tls_port, "exact." + DOMAIN) == "sb v2"

		# Everything opened before the reload still works.
		w.sock.sendall(b"after")
		assert _read_n(w, 5) == b"after"
		k.send(dbh.req("GET", "/k2", world.pub("sbx1")))
		assert k.read_response().status == 200
		assert k.cn() == DOMAIN		# kept the old certificate
		while True:
			d = dl.stdout.read(MIB)
			if not d:
				break
			h.update(d)
			got += len(d)
		assert dl.wait(60) == 0, dl.stderr.read()
		assert got == size and h.hexdigest() == dbh.pattern_sha256(size)
		w.close()
		k.close()
	finally:
		ws.close()
		world.delete("tlsws")


def _read_n(c, n, timeout=5.0):
	out = b""
	c.sock.settimeout(timeout)
	while len(out) < n:
		d = c.sock.recv(n - len(out))
		if not d:
			break
		out += d
	return out


def test_N10_reload_broken_cert_keeps_old(own_proxy, world, pki):
	p = own_proxy(names=("default", "sb"))
	line = [i + 1 for i, l in enumerate(p.conf.read_text().splitlines())
	    if l.startswith("tls-cert sb.crt")][0]
	assert check_config(p) == (0, "configuration OK\n")

	# A garbage certificate: -t says where and why, SIGHUP keeps the old.
	(p.dir / "sb.crt").write_bytes(b"not a certificate\n")
	rc, out = check_config(p)
	assert rc == 1 and re.search(r"drawbridge\.conf:%d: certificate file "
	    r"sb\.crt: no PEM certificate" % line, out), out
	m = sighup(p, r"reload failed[^\n]*")
	assert "drawbridge.conf:%d:" % line in m.group(0), m.group(0)
	assert served_cn(p.tls_port, world.rt()) == DOMAIN

	# A key that does not match, and a key readable by others.
	put_pair(p.dir, "sb", pki.certs["sb2"])
	(p.dir / "sb.key").write_bytes(pki.certs["exact"].key)
	rc, out = check_config(p)
	assert rc == 1 and "does not match" in out, out
	sighup(p, r"reload failed[^\n]*does not match")
	put_pair(p.dir, "sb", pki.certs["sb2"])
	os.chmod(p.dir / "sb.key", 0o644)
	rc, out = check_config(p)
	assert rc == 1 and "chmod 600" in out, out
	sighup(p, r"reload failed[^\n]*chmod 600")

	# Expired: refused.  Expiring soon: a warning, still OK.
	put_pair(p.dir, "sb", pki.certs["expired"])
	rc, out = check_config(p)
	assert rc == 1 and "expired on" in out, out
	put_pair(p.dir, "sb", pki.certs["soon"])
	rc, out = check_config(p)
	assert rc == 0 and re.search(r"drawbridge\.conf:%d: warning: "
	    r"certificate sb\.crt expires in [45] days" % line, out), out
	assert served_cn(p.tls_port, world.rt()) == DOMAIN

	# Fixed: -t is happy and SIGHUP swaps.
	put_pair(p.dir, "sb", pki.certs["sb2"])
	assert check_config(p) == (0, "configuration OK\n")
	sighup(p, r"configuration reloaded")
	assert served_cn(p.tls_port, world.rt()) == "sb v2"
	wait_https(p, world, pki.ca)


def test_N05_resumption(tp, world, pki, tmp_path):
	"""Tickets (TLS 1.3 and 1.2) and the TLS 1.2 session cache resume."""
	sess = tmp_path / "sess.pem"
	# Read a whole response first: TLS 1.3 tickets arrive after the
	# handshake, and s_client would otherwise exit before seeing them.
	bye = dbh.req("GET", "/", world.pub("sbx1"), [("Connection", "close")])
	for ver in ("-tls1_3", "-tls1_2"):
		sess.unlink(missing_ok=True)
		rc, out = s_client(tp.tls_port, world.rt(), [ver, "-ign_eof",
		    "-sess_out", str(sess)], stdin=bye)
		assert rc == 0 and "New," in out, out[-600:]
		rc, out = s_client(tp.tls_port, world.rt(), [ver, "-sess_in",
		    str(sess)])
		assert rc == 0 and "Reused," in out, (ver, out[-600:])
	sess.unlink()
	rc, out = s_client(tp.tls_port, world.rt(), ["-tls1_2", "-no_ticket",
	    "-ign_eof", "-sess_out", str(sess)], stdin=bye)
	assert rc == 0 and "HTTP/1.1 200" in out, out[-600:]
	rc, out = s_client(tp.tls_port, world.rt(), ["-tls1_2", "-no_ticket",
	    "-sess_in", str(sess)])
	assert rc == 0 and "Reused," in out, out[-600:]


# --------------------------------------------------------------------------
# 1 GiB each way over TLS, byte-identical (release build)

@pytest.fixture
def release_proxy(own_proxy, monkeypatch):
	monkeypatch.setattr(dbh, "DRAWBRIDGE_BIN", release_bin())
	return own_proxy


@pytest.mark.slow
def test_tls_download_1g(release_proxy, world, pki, results):
	p = release_proxy(names=("default", "sb"))
	host = world.pub("sbx1")
	t0 = time.monotonic()
	dl = subprocess.Popen(["curl", "-sS", "--cacert", str(pki.ca),
	    "--resolve", "%s:%d:127.0.0.1" % (host, p.tls_port),
	    "https://%s:%d/download?size=%d" % (host, p.tls_port, GIB)],
	    stdout=subprocess.PIPE, stderr=subprocess.PIPE)
	h = hashlib.sha256()
	n = 0
	while True:
		d = dl.stdout.read(4 * MIB)
		if not d:
			break
		h.update(d)
		n += len(d)
	assert dl.wait(120) == 0, dl.stderr.read()
	dt = time.monotonic() - t0
	assert n == GIB and h.hexdigest() == dbh.pattern_sha256(GIB)
	results("tls download 1 GiB: %.1f s, %.0f MiB/s" % (dt, GIB / MIB / dt))


@pytest.mark.slow
def test_tls_upload_1g(release_proxy, world, pki, results):
	p = release_proxy(names=("default", "sb"))
	host = world.pub("sbx1")
	c = TlsConn(p.tls_port, host, pki.ca, timeout=60)
	t0 = time.monotonic()
	try:
		c.send(b"POST /upload HTTP/1.1\r\nHost: %s\r\nContent-Length: %d"
		    b"\r\n\r\n" % (host.encode(), GIB))
		block = dbh.PATTERN_BLOCK
		for _ in range(GIB // len(block)):
			c.sock.sendall(block)
		r = c.read_response(timeout=60)
	finally:
		c.close()
	dt = time.monotonic() - t0
	assert r.status == 200, r
	j = r.json()
	assert j["body_len"] == GIB, j
	assert j["body_sha256"] == dbh.pattern_sha256(GIB)
	results("tls upload 1 GiB: %.1f s, %.0f MiB/s" % (dt, GIB / MIB / dt))

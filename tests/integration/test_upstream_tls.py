"""TLS toward the sandbox, per route (issue 4: "TLS toward upstreams is
optional per route"): a route with "tls": true is reached over TLS and the
sandbox's certificate is verified against upstream-ca and tls_name (or
the target address); a name that does not match is refused (502)."""
import http.server as hserver
import socket
import ssl
import subprocess
import threading
from pathlib import Path

import pytest

import dbh
from dbh import http, req

ROOT = Path(__file__).resolve().parents[2]


class _Hello(hserver.BaseHTTPRequestHandler):
	protocol_version = "HTTP/1.1"

	def do_GET(self):
		body = b"hello over tls\n"
		self.send_response(200)
		self.send_header("Content-Length", str(len(body)))
		self.end_headers()
		self.wfile.write(body)

	def log_message(self, *a):
		pass


@pytest.fixture(scope="module")
def tls_upstream(tmp_path_factory):
	d = tmp_path_factory.mktemp("uptls")
	subprocess.run([str(ROOT / "scripts" / "devca.sh"), str(d), "tls.test"],
	    check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
	ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
	ctx.load_cert_chain(str(d / "tls.test.crt"), str(d / "tls.test.key"))
	srv = hserver.ThreadingHTTPServer(("127.0.0.1", 0), _Hello)
	srv.socket = ctx.wrap_socket(srv.socket, server_side=True)
	t = threading.Thread(target=srv.serve_forever, daemon=True)
	t.start()
	yield srv.server_address[1], d / "ca.crt"
	srv.shutdown()


def _route(world, sid, port, **kw):
	rec = world.record("127.0.0.1", world.R, {port: "public"}, tls=True, **kw)
	world.put(sid, rec)


def _poll(port, data, want, n=30):
	import time
	r = None
	for _ in range(n):
		r = http(port, data)
		if r.status == want:
			return r
		time.sleep(0.1)
	return r


def test_N_upstream_tls_verified_by_name(world, drawbridge, tls_upstream):
	port, ca = tls_upstream
	p = drawbridge(extra=("upstream-ca %s" % ca,))
	_route(world, "uptls1", port, tls_name="sbx.tls.test")
	data = req("GET", "/x", "%d-uptls1.sb.test" % port)
	r = _poll(p.port, data, 200)
	assert r.status == 200, r
	assert r.body == b"hello over tls\n", r


def test_N_upstream_tls_wrong_name_refused(world, drawbridge, tls_upstream):
	port, ca = tls_upstream
	p = drawbridge(extra=("upstream-ca %s" % ca,))
	_route(world, "uptls2", port, tls_name="other.example")
	data = req("GET", "/x", "%d-uptls2.sb.test" % port)
	r = _poll(p.port, data, 502, n=10)
	assert r.status == 502, r


def test_N_upstream_plain_route_to_tls_port_is_502(world, drawbridge,
    tls_upstream):
	port, ca = tls_upstream
	p = drawbridge(extra=("upstream-ca %s" % ca,))
	world.put("uptls3", world.record("127.0.0.1", world.R,
	    {port: "public"}))
	data = req("GET", "/x", "%d-uptls3.sb.test" % port)
	r = _poll(p.port, data, 502, n=10)
	assert r.status in (502, 504), r

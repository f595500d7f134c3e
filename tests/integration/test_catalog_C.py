"""Catalog group C: path routing /sandbox/<id>/... on the path host
(PX = proxy.sb.test) and path normalisation.
"""

import time

import pytest

import dbh
from dbh import diag, http


def px(target, tok=None, extra=b""):
	if isinstance(target, str):
		target = target.encode("latin-1")
	h = b"GET " + target + b" HTTP/1.1\r\nHost: proxy.sb.test\r\n"
	if tok:
		h += b"Authorization: Bearer " + tok.encode() + b"\r\n"
	return h + extra + b"\r\n"


def send(world, proxy, data):
	m0 = world.spy.mark()
	r = http(proxy.port, data)
	time.sleep(0.03)
	return r, world.spy.since(m0)


def test_C01_happy_path(world, proxy, tok1):
	data = px("/sandbox/sbx1/processes?limit=5", tok1)
	r, got = send(world, proxy, data)
	assert r.status == 200, diag(data, r)
	assert [(q.listener, q.target) for q in got] == [
	    ("sbx1/runtime", "/sandbox/processes?limit=5")], got
	assert got[0].header("authorization") is None
	assert tok1.encode() not in got[0].raw_head


@pytest.mark.parametrize("target,want", [
    ("/sandbox/sbx1", "/sandbox"), ("/sandbox/sbx1?q=1", "/sandbox?q=1"),
    ("/sandbox/sbx1/", "/sandbox/"), ("/sandbox/sbx1/a/b/c?x=%2F&y", "/sandbox/a/b/c?x=%2F&y"),
    ("/sandbox/sbx1/files/download?path=/tmp/a%20b", "/sandbox/files/download?path=/tmp/a%20b")])
def test_C01_rewrites(world, proxy, tok1, target, want):
	r, got = send(world, proxy, px(target, tok1))
	assert r.status == 200 and got and got[0].target == want, diag(px(target), r)


@pytest.mark.parametrize("tok", ["tok1", "tok2"])
def test_C02_dot_segments(world, proxy, tok1, tok2, tok):
	t = {"tok1": tok1, "tok2": tok2}[tok]
	for target in ("/sandbox/sbx1/../sbx2/exec", "/sandbox/sbx1/./exec",
	    "/sandbox/./sbx1/exec", "/sandbox/sbx1/exec/..", "/sandbox/sbx1/a/../../sbx2/x"):
		data = px(target, t)
		r, got = send(world, proxy, data)
		assert r.status == 400 and not got, diag(data, r)


@pytest.mark.parametrize("target", [
    "/sandbox/sbx1%2fexec", "/sandbox/sbx1%2F..%2Fsbx2/", "/sandbox%2fsbx2/",
    "/sandbox\\sbx2/exec", "/sandbox/sbx1\\..\\sbx2", "/sandbox/sbx1%5c..%5csbx2",
    "/sandbox/sbx1/%2e%2e/sbx2/exec", "/sandbox/sbx1/%2E/exec", "/sandbox/sbx1/x%2fy"])
def test_C04_encoded_slash_backslash(world, proxy, tok1, target):
	data = px(target, tok1)
	r, got = send(world, proxy, data)
	assert r.status == 400 and not got, diag(data, r)


def test_C05_double_encoding(world, proxy, tok1):
	data = px("/sandbox/sbx1/%252e%252e/sbx2/exec", tok1)
	r, got = send(world, proxy, data)
	assert r.status in (200, 400), diag(data, r)
	if r.status == 200:
		assert [(q.listener, q.target) for q in got] == [
		    ("sbx1/runtime", "/sandbox/%252e%252e/sbx2/exec")]


@pytest.mark.parametrize("target", ["/sandbox/sbx1;x=y/exec", "/sandbox;/sbx2/exec",
    "/sandbox/sbx1;/../sbx2/"])
def test_C06_semicolons(world, proxy, tok1, target):
	data = px(target, tok1)
	r, got = send(world, proxy, data)
	assert r.status == 400 and not got, diag(data, r)


@pytest.mark.parametrize("target", ["/sandbox/sbx1x/exec", "/sandboxes/sbx1/",
    "/SANDBOX/sbx1/", "/sandbox/", "/sandbox", "/", "/sbx1/exec", "/sandbox//sbx1/x"])
def test_C07_prefix_case(world, proxy, tok1, target):
	data = px(target, tok1)
	r, got = send(world, proxy, data)
	# 401: the token is for sbx1, not for "sbx1x"
	assert r.status in (400, 401, 404) and not got, diag(data, r)


def test_C07_upper_id(world, proxy, tok1):
	"""/sandbox/SBX1/: treated like B10 (lower-cased -> sbx1), or 400/404;
	never another sandbox."""
	data = px("/sandbox/SBX1/x", tok1)
	r, got = send(world, proxy, data)
	assert r.status in (200, 400, 404), diag(data, r)
	assert all(q.listener == "sbx1/runtime" for q in got)


@pytest.mark.parametrize("target", [b"/sandbox/sbx1/exec#x", b"/sandbox/sbx1/a b",
    b"/sandbox/sbx1/%00", b"/sandbox/sbx1/\x01", b"/sandbox/%c0%ae%c0%ae/sbx2",
    b"/sandbox/sbx1/\xc3\xa9", b"/sandbox/sbx1/\x7f"],
    ids=["frag", "space", "pct00", "ctl", "overlong", "utf8", "del"])
def test_C09_fragment_space_ctl(world, proxy, tok1, target):
	data = px(target, tok1)
	r, got = send(world, proxy, data)
	assert r.status in (400, 404) and not got, diag(data, r)


def test_C09_crlf_encoded(world, proxy, tok1):
	data = px("/sandbox/sbx1/%0d%0aX-Injected:%201", tok1)
	r, got = send(world, proxy, data)
	assert r.status in (200, 400), diag(data, r)
	for q in got:
		assert q.header("x-injected") is None
		assert q.target == "/sandbox/%0d%0aX-Injected:%201"


@pytest.mark.parametrize("target", ["/sandbox/sbx1/exec?x=/sandbox/sbx2/",
    "/sandbox/sbx1/exec?sessionId=sbx2", "/sandbox/sbx1/exec?x=/../sbx2"])
def test_C10_query_cannot_route(world, proxy, tok1, target):
	data = px(target, tok1)
	r, got = send(world, proxy, data)
	assert r.status == 200, diag(data, r)
	assert [q.listener for q in got] == ["sbx1/runtime"]
	assert got[0].target == "/sandbox/" + target.split("/", 3)[3]


def test_C10_query_with_tok2_denied(world, proxy, tok2):
	data = px("/sandbox/sbx1/exec?sessionId=sbx2", tok2)
	r, got = send(world, proxy, data)
	assert r.status == 401 and not got, diag(data, r)


@pytest.mark.skip(reason="issue E: /_hb reserved paths and grants are the "
    "browser-session feature, not in the core proxy")
def test_C11_reserved_paths():
	pass


@pytest.mark.parametrize("path", ["/healthz", "/metrics", "/debug",
    "/sandbox/sbx1/../../metrics", "/_hb/metrics"])
@pytest.mark.parametrize("hostkind", ["pub", "rt", "px", "ip"])
def test_C12_internal_endpoints_not_public(world, proxy, tok1, path, hostkind):
	host = {"pub": world.pub(), "rt": world.rt(), "px": world.px,
	    "ip": "127.0.0.1"}[hostkind]
	if hostkind == "px" and path.startswith("/healthz"):
		path = "/healthz"
	data = dbh.req("GET", path, host, [dbh.auth(tok1)])
	r, got = send(world, proxy, data)
	if r.status == 200:
		j = r.json()
		assert isinstance(j, dict) and "listener" in j, \
		    diag(data, r, "answered by the proxy itself")
	else:
		assert r.status in (400, 401, 404), diag(data, r)
		assert b"ok" != r.body.strip()

"""Catalog group M: Redis failures (fail closed).

Routing lookups that cannot be answered give 503 route_store_unavailable
with Retry-After; a cached route is served up to route-stale past its TTL
(contract); nil / invalid records are 404.  Hostile replies come from
dbh.FakeRedis (scripted per sandbox id).
"""

import asyncio
import json
import socket
import threading
import time

import pytest

import dbh
from dbh import diag, http, req


def pubreq(world, sid, target="/x"):
	return req("GET", target, "%d-%s.sb.test" % (world.PUB, sid))


def unavailable(r):
	return r.status == 503 and (r.json() or {}).get("code") == "route_store_unavailable"


def wait_status(port, data, status, timeout):
	deadline = time.monotonic() + timeout
	t0 = time.monotonic()
	while True:
		r = http(port, data, timeout=5)
		if r.status == status or time.monotonic() > deadline:
			return r, time.monotonic() - t0
		time.sleep(0.05)


def test_M01_redis_down_at_startup(world, drawbridge, tmp_path):
	port = dbh.free_port()
	p = drawbridge(overrides={"redis": "127.0.0.1:%d" % port}, ready=False)
	data = pubreq(world, "sbx1")
	r = http(p.port, data)
	assert unavailable(r), diag(data, r)
	assert r.header("retry-after") == "1", r
	rs = dbh.RedisServer(tmp_path / "r2", port)
	rs.start()
	try:
		rs.cmd("SET", "drawbridge:route:sbx1", json.dumps(world.boxes["sbx1"].record))
		r, dt = wait_status(p.port, data, 200, 5)
		assert r.status == 200, diag(data, r, "not routed 5 s after Redis came up")
		assert dt <= 1.5, "took %.2fs to use Redis after it appeared" % dt
	finally:
		rs.close()


def warm(port, data, n=12):
	"""Route caches are per worker: several connections so that every
	worker has the route cached."""
	for _ in range(n):
		r = http(port, data)
		assert r.status == 200, r


def test_M02_redis_killed(world, proxy, redis):
	# refresh the cache for sbx1 in every worker, then kill Redis
	warm(proxy.port, pubreq(world, "sbx1"))
	redis.kill()
	try:
		t0 = time.monotonic()
		r = http(proxy.port, pubreq(world, "m02-unknown"))
		dt = time.monotonic() - t0
		assert unavailable(r), r
		assert dt < dbh.T_REDIS + 0.3, "503 took %.3fs" % dt
		assert r.header("retry-after") == "1"
		for _ in range(6):
			r = http(proxy.port, pubreq(world, "sbx1"))
			assert r.status == 200, diag(pubreq(world, "sbx1"), r, "cached route not served")
		# reconnect rate while Redis is gone: count connection attempts
		ls = socket.socket()
		ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
		ls.bind(("127.0.0.1", redis.port))
		ls.listen(128)
		ls.settimeout(0.05)
		n = 0
		t0 = time.monotonic()
		i = 0
		while time.monotonic() - t0 < 2.0:
			try:
				c, _ = ls.accept()
				c.close()
				n += 1
			except socket.timeout:
				pass
			i += 1
			if i % 4 == 0:
				http(proxy.port, pubreq(world, "m02-u%d" % i), timeout=2)
		ls.close()
		print("M02 reconnect attempts in 2 s: %d" % n)
		assert n <= 50, "%d connects to Redis in 2 s (reconnect storm)" % n
	finally:
		redis.ensure_up()
		world.restore()
	r, dt = wait_status(proxy.port, pubreq(world, "sbx2"), 200, 5)
	assert r.status == 200, r


@pytest.fixture
def fake(world, drawbridge):
	f = dbh.FakeRedis(world.spy)
	f.routes["mok"] = json.dumps(world.boxes["sbx1"].record)
	p = drawbridge(overrides={"redis": "127.0.0.1:%d" % f.port}, ready=False)
	r, _ = wait_status(p.port, pubreq(world, "mok"), 200, 5)
	assert r.status == 200, r
	yield f, p
	f.close()


ERRORS = ["-LOADING Redis is loading the dataset in memory", "-READONLY You can't write",
    "-NOAUTH Authentication required.", "-MOVED 1234 10.0.0.1:6379",
    "-ASK 1234 10.0.0.1:6379", "-OOM command not allowed", "-ERR unknown"]


def test_M04_error_replies(world, fake):
	f, p = fake
	for i, e in enumerate(ERRORS):
		sid = "merr%d" % i
		f.replies[sid] = e.encode() + b"\r\n"
		r = http(p.port, pubreq(world, sid))
		assert unavailable(r), diag(pubreq(world, sid), r, e)
		r, _ = wait_status(p.port, pubreq(world, "mok", "/again%d" % i), 200, 3)
		assert r.status == 200, r


def bulk(b):
	return b"$%d\r\n%s\r\n" % (len(b), b)


HOSTILE = {
    "integer": (b":1\r\n", (503, 404)),
    "array": (b"*1\r\n$1\r\nx\r\n", (503, 404)),
    "nil": (b"$-1\r\n", (404,)),
    "nil_array": (b"*-1\r\n", (503, 404)),
    "neg_multibulk": (b"*-5\r\n", (503, 404)),
    "huge_bulk": (b"$536870912\r\n", (503,)),
    "huge_multibulk": (b"*2147483648\r\n", (503,)),
    "garbage": (b"!!!garbage\r\n", (503,)),
    "not_json": (b"$5\r\nhello\r\n", (404,)),
    "wrong_types": (bulk(b'{"v":1,"target":1,"status":"active"}'), (404,)),
    "v2": (bulk(b'{"v":2,"target":"127.0.0.2","status":"active"}'), (404,)),
    "bad_status": (bulk(b'{"v":1,"target":"127.0.0.2","status":"running"}'), (404,)),
    "port_4001": (bulk(b'{"v":1,"target":"127.0.0.2","status":"active","ports":{"4001":"public"}}'), (404,)),
    "huge_record": (bulk(b'{"v":1,"target":"127.0.0.2","status":"active","x":"' + b"a" * 20000 + b'"}'), (404, 503)),
    "stall": (None, (503,)),
}


@pytest.mark.parametrize("name", list(HOSTILE))
def test_M05_hostile_replies(world, fake, name):
	f, p = fake
	reply, ok = HOSTILE[name]
	sid = "mh-" + name.replace("_", "-")
	f.replies[sid] = reply
	base = dbh.proc_rss_kib(p.pid)
	t0 = time.monotonic()
	r = http(p.port, pubreq(world, sid))
	dt = time.monotonic() - t0
	assert r.status in ok, diag(pubreq(world, sid), r, name)
	if r.status == 503:
		assert unavailable(r), r
	assert dt < 1.5, "answer took %.2fs" % dt
	rss = dbh.proc_rss_kib(p.pid)
	assert dbh.sanitized() or rss - base < 32 * 1024, "RSS grew %d KiB" % (rss - base)
	r, dt = wait_status(p.port, pubreq(world, "mok", "/after-" + name), 200, 3)
	assert r.status == 200, diag(b"", r, "did not recover after %s" % name)


@pytest.mark.skip(reason="failover needs a Redis address switch (reload or "
    "Sentinel), not in the core contract")
def test_M06_failover():
	pass


def test_M07_flushed_with_publish(world, proxy, redis):
	warm(proxy.port, pubreq(world, "sbx1"))
	try:
		redis.cmd("FLUSHALL")
		redis.cmd("PUBLISH", "drawbridge:routes", "*")
		r, dt = wait_status(proxy.port, pubreq(world, "sbx1"), 404, 1.0)
		assert r.status == 404, diag(b"", r, "served a flushed route")
	finally:
		world.restore()
	r, _ = wait_status(proxy.port, pubreq(world, "sbx1"), 200, 2)
	assert r.status == 200


def test_M07_restarted_empty(world, proxy, redis):
	warm(proxy.port, pubreq(world, "sbx2"))
	try:
		redis.restart()
		# every worker (6 fresh connections in a row) must answer 404
		t0 = time.monotonic()
		streak = 0
		while streak < 6 and time.monotonic() - t0 < 5.0:
			r = http(proxy.port, pubreq(world, "sbx2"))
			streak = streak + 1 if r.status == 404 else 0
			if not streak:
				time.sleep(0.05)
		dt = time.monotonic() - t0
		assert streak >= 6, diag(b"", r,
		    "route still served 5 s after Redis restarted empty")
		print("M07 404 after restart in %.2fs" % dt)
	finally:
		world.restore()
	r, _ = wait_status(proxy.port, pubreq(world, "sbx2"), 200, 3)
	assert r.status == 200


@pytest.mark.skip(reason="no Redis AUTH/TLS directive in CONTRACT.md")
def test_M09_redis_auth_tls():
	pass


def test_M10_many_concurrent_lookups(world, fake):
	f, p = fake
	N = 2000
	for i in range(N):
		f.replies["mstall%d" % i] = None
	base = dbh.proc_rss_kib(p.pid)
	statuses = {}

	async def one(i):
		try:
			rd, wr = await asyncio.open_connection("127.0.0.1", p.port)
			wr.write(pubreq(world, "mstall%d" % i))
			await wr.drain()
			line = await asyncio.wait_for(rd.readline(), 10)
			wr.close()
			st = line.split(b" ")[1].decode() if line else "closed"
		except (OSError, asyncio.TimeoutError) as e:
			st = type(e).__name__
		statuses[st] = statuses.get(st, 0) + 1

	async def run():
		await asyncio.gather(*(one(i) for i in range(N)))
	t0 = time.monotonic()
	asyncio.run(run())
	dt = time.monotonic() - t0
	rss = dbh.proc_rss_kib(p.pid)
	print("M10 %d stalled lookups: %s in %.2fs, RSS +%d KiB" % (N, statuses, dt, rss - base))
	assert set(statuses) <= {"503"}, statuses
	assert dbh.sanitized() or rss - base < 64 * 1024
	r, _ = wait_status(p.port, pubreq(world, "mok", "/after-m10"), 200, 5)
	assert r.status == 200, r

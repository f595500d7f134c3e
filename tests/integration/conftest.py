"""Fixtures for the Drawbridge real-process integration suite.

  redis        session: a private redis-server (stop/cont/kill/restart)
  spy          session: the upstream spy (asyncio thread, many listeners)
  world        session: sbx1/sbx2/uuid sandboxes, their listeners and records
  proxy        function view of a module-scoped drawbridge with the test
               config; each test fails if the proxy died or logged a
               sanitizer error / fatal during it
  drawbridge   factory: drawbridge(overrides={...}, extra=[...], ...) starts
               a private proxy, stopped (and checked) at teardown
  tok1/tok2    runtime bearer tokens for sbx1/sbx2 minted by drawbridgectl

Binaries: $DRAWBRIDGE_BIN / $DRAWBRIDGECTL_BIN (default build/...).
Run: /usr/bin/python3 -m pytest tests/integration -q
"""

import os
import secrets
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

import dbh  # noqa: E402

RESULTS = Path(__file__).resolve().parent / "results.txt"


def pytest_configure(config):
	config.addinivalue_line("markers", "slow: the 2 GiB transfer tests")
	try:
		RESULTS.write_text("# drawbridge integration results %s\n" %
		    time.strftime("%Y-%m-%d %H:%M:%S"))
	except OSError:
		pass


def record_result(line):
	"""Append a measured number to tests/integration/results.txt and print
	it (visible with -s)."""
	print(line)
	try:
		with open(RESULTS, "a") as f:
			f.write(line + "\n")
	except OSError:
		pass


@pytest.fixture(scope="session")
def binaries():
	missing = [str(p) for p in (dbh.DRAWBRIDGE_BIN,) if not p.exists()]
	if missing:
		pytest.skip("not built: " + ", ".join(missing))
	return dbh.DRAWBRIDGE_BIN, dbh.DRAWBRIDGECTL_BIN


@pytest.fixture(scope="session")
def secret():
	# 48 random bytes, never ending in a newline (the key loader strips
	# one trailing newline, which would make python-jwt tokens differ)
	s = secrets.token_bytes(48)
	while s.endswith((b"\n", b"\r")):
		s = secrets.token_bytes(48)
	return s


@pytest.fixture(scope="session")
def redis(tmp_path_factory):
	r = dbh.RedisServer(tmp_path_factory.mktemp("redis"))
	r.start()
	yield r
	r.close()


@pytest.fixture(scope="session")
def spy():
	s = dbh.Spy()
	yield s
	s.close()


@pytest.fixture(scope="session")
def world(binaries, spy, redis, secret, tmp_path_factory):
	return dbh.World(spy, redis, secret, tmp_path_factory.mktemp("world"))


@pytest.fixture(autouse=True)
def _redis_healthy(request):
	"""Every test starts with Redis running and the standard records in
	place (a group-M test may have killed or flushed it)."""
	if "world" in request.fixturenames:
		w = request.getfixturevalue("world")
		if w.redis.ensure_up():
			w.restore()
	yield


def _wait_ready(proxy, world, timeout=5.0):
	"""Until a public-port request is routed (the store is connected)."""
	data = dbh.req("GET", "/ready", world.pub("sbx1"))
	deadline = time.monotonic() + timeout
	last = None
	while time.monotonic() < deadline:
		try:
			last = dbh.http(proxy.port, data, timeout=2)
			if last.status == 200:
				return
		except OSError as e:
			last = e
		time.sleep(0.05)
	raise AssertionError("proxy not ready: last answer %r\nlog:\n%s" % (
	    last, proxy.log_text()[-3000:]))


@pytest.fixture(scope="module")
def _proxy_mod(world, tmp_path_factory):
	holder = {}

	def start():
		p = dbh.Proxy(tmp_path_factory.mktemp("proxy"), world.redis.port,
		    world.secret)
		p.start()
		_wait_ready(p, world)
		holder["p"] = p
		return p
	start()
	holder["start"] = start
	yield holder
	rc, problems = holder["p"].stop()
	if problems:
		pytest.fail("module proxy: " + "; ".join(problems), pytrace=False)


@pytest.fixture
def proxy(_proxy_mod, world):
	p = _proxy_mod["p"]
	if not p.alive():
		p = _proxy_mod["start"]()
	off = p.log_size()
	yield p
	problems = []
	if not p.alive():
		problems.append("drawbridge died during this test (rc=%s)" %
		    p.proc.returncode)
	bad = p.bad_log(off)
	if bad:
		problems.append("log: " + " | ".join(bad[:5]))
	if problems:
		tail = p.log_text(off)[-3000:]
		if not p.alive():
			p.stop()
			_proxy_mod["start"]()
		pytest.fail("; ".join(problems) + "\nlog tail:\n" + tail,
		    pytrace=False)


@pytest.fixture
def drawbridge(world, tmp_path):
	"""Factory: drawbridge(overrides=None, extra=(), files=None,
	redis_port=None, ready=True) -> started Proxy, checked at teardown."""
	started = []

	def factory(overrides=None, extra=(), files=None, redis_port=None,
	    ready=True, start=True):
		d = tmp_path / ("proxy%d" % len(started))
		p = dbh.Proxy(d, redis_port or world.redis.port, world.secret,
		    overrides, extra, files)
		started.append(p)
		if start:
			p.start()
			if ready:
				_wait_ready(p, world)
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


@pytest.fixture
def tok1(world):
	return world.token("sbx1")


@pytest.fixture
def tok2(world):
	return world.token("sbx2")


@pytest.fixture
def ctl_bin():
	if not dbh.DRAWBRIDGECTL_BIN.exists():
		pytest.skip("not built: %s" % dbh.DRAWBRIDGECTL_BIN)
	return dbh.DRAWBRIDGECTL_BIN


@pytest.fixture
def results():
	return record_result

"""Redis with a password (catalog M09, the AUTH half): Drawbridge and
drawbridgectl authenticate with redis-password-file; a wrong password fails
closed (503), like Redis being down."""
import json
import time

import pytest

import dbh
from dbh import http, req


@pytest.fixture
def auth_redis(tmp_path):
	r = dbh.RedisServer(tmp_path / "redis-auth")
	r.start()
	dbh.Resp(r.port).cmd("CONFIG", "SET", "requirepass", "s3cret-pass")
	yield r
	r.kill()


def _proxy(drawbridge, r, secret):
	return drawbridge(redis_port=r.port, ready=False,
	    extra=("redis-password-file redis.pw",),
	    files={"redis.pw": ((secret + "\n").encode(), 0o600)})


def _put(world, r, sid):
	c = dbh.Resp(r.port)
	assert c.cmd("AUTH", "s3cret-pass") == "OK"
	c.cmd("SET", "drawbridge:route:" + sid, json.dumps(world.record(
	    "127.0.0.2", world.R, {world.PUB: "public"})))
	c.cmd("PUBLISH", "drawbridge:routes", sid)


def _poll(port, data, want, secs=5.0):
	t0 = time.monotonic()
	while True:
		r = http(port, data)
		if r.status == want or time.monotonic() - t0 > secs:
			return r
		time.sleep(0.1)


def test_M09_redis_auth(world, drawbridge, auth_redis):
	p = _proxy(drawbridge, auth_redis, "s3cret-pass")
	_put(world, auth_redis, "authsbx")
	data = req("GET", "/x", "%d-authsbx.sb.test" % world.PUB)
	r = _poll(p.port, data, 200)
	assert r.status == 200, r


def test_M09_redis_wrong_password_fails_closed(world, drawbridge, auth_redis):
	p = _proxy(drawbridge, auth_redis, "wrong")
	_put(world, auth_redis, "authsbx2")
	data = req("GET", "/x", "%d-authsbx2.sb.test" % world.PUB)
	time.sleep(0.5)
	r = http(p.port, data)
	assert r.status == 503, r
	assert "NOAUTH" in p.log_text() or "WRONGPASS" in p.log_text()

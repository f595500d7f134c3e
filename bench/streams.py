"""streams.py -- WebSocket and SSE clients for bench/run.sh.

    /usr/bin/python3 bench/streams.py ws PORT N HOST [PATH]
    /usr/bin/python3 bench/streams.py sse PORT N HOST [PATH]

ws: opens N WebSocket tunnels to 127.0.0.1:PORT (at most CONCURRENT
handshakes at a time): `GET PATH` (default /ws) with `Host: HOST`,
`Upgrade: websocket` and a random key; checks the 101 and its
Sec-WebSocket-Accept, sends one masked 5-byte text frame and reads the
same bytes back (bench/upstream.c echoes bytes, it does not parse frames),
then holds the tunnel.  Prints `ready OK FAILED` once every tunnel is up
or failed, then holds them all until SIGTERM or SIGINT.

sse: N requests one after the other, each on a new connection:
`GET PATH` (default /sse); the time from writing the request to the first
`data:` bytes of the body.  The first request also waits for a second
event (fails if none comes within 2 s: the proxy buffers the stream).
Prints `sse MEDIAN_US MIN_US MAX_US FAILED`.

Exit status 0 if nothing failed, else 1.
"""
import asyncio
import base64
import hashlib
import os
import signal
import statistics
import sys
import time

CONCURRENT = 256
TIMEOUT = 30.0
GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
PAYLOAD = b"hello"


def ws_frame(payload):
	mask = os.urandom(4)
	body = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
	return bytes([0x81, 0x80 | len(payload)]) + mask + body


async def read_head(r):
	head = await asyncio.wait_for(r.readuntil(b"\r\n\r\n"), TIMEOUT)
	lines = head.decode("latin-1").split("\r\n")
	status = int(lines[0].split(" ")[1])
	hdrs = {}
	for ln in lines[1:]:
		name, _, value = ln.partition(":")
		if name:
			hdrs[name.strip().lower()] = value.strip()
	return status, hdrs


async def ws_one(port, host, path, sem, held):
	async with sem:
		try:
			r, w = await asyncio.wait_for(
			    asyncio.open_connection("127.0.0.1", port), TIMEOUT)
		except (OSError, asyncio.TimeoutError):
			return False
		try:
			key = base64.b64encode(os.urandom(16))
			w.write(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: " +
			    host.encode() + b"\r\nUpgrade: websocket\r\n"
			    b"Connection: Upgrade\r\nSec-WebSocket-Key: " + key +
			    b"\r\nSec-WebSocket-Version: 13\r\n\r\n")
			status, hdrs = await read_head(r)
			want = base64.b64encode(
			    hashlib.sha1(key + GUID).digest()).decode()
			if status != 101 or hdrs.get("sec-websocket-accept") != want:
				raise ValueError("status %d" % status)
			frame = ws_frame(PAYLOAD)
			w.write(frame)
			got = await asyncio.wait_for(r.readexactly(len(frame)),
			    TIMEOUT)
			if got != frame:
				raise ValueError("echo mismatch")
		except (OSError, ValueError, IndexError, asyncio.TimeoutError,
		    asyncio.IncompleteReadError, asyncio.LimitOverrunError):
			w.close()
			return False
		held.append(w)
		return True


async def ws_main(port, n, host, path):
	sem = asyncio.Semaphore(CONCURRENT)
	held = []
	results = await asyncio.gather(
	    *(ws_one(port, host, path, sem, held) for _ in range(n)))
	ok = sum(1 for x in results if x)
	print("ready %d %d" % (ok, n - ok), flush=True)
	loop = asyncio.get_running_loop()
	done = asyncio.Event()
	for sig in (signal.SIGTERM, signal.SIGINT):
		loop.add_signal_handler(sig, done.set)
	await done.wait()
	for w in held:
		w.close()
	return 0 if ok == n else 1


async def sse_one(port, host, path, second):
	r, w = await asyncio.wait_for(
	    asyncio.open_connection("127.0.0.1", port), TIMEOUT)
	try:
		req = ("GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream"
		    "\r\n\r\n" % (path, host)).encode()
		t0 = time.perf_counter()
		w.write(req)
		status, hdrs = await read_head(r)
		if status != 200 or not hdrs.get("content-type", "").startswith(
		    "text/event-stream"):
			raise ValueError("status %d" % status)
		buf = b""
		while b"data:" not in buf:
			d = await asyncio.wait_for(r.read(65536), TIMEOUT)
			if not d:
				raise ValueError("closed before the first event")
			buf += d
		t1 = time.perf_counter()
		if second:
			while buf.count(b"data:") < 2:
				d = await asyncio.wait_for(r.read(65536), 2.0)
				if not d:
					raise ValueError("closed before the 2nd event")
				buf += d
		return (t1 - t0) * 1e6
	finally:
		w.close()


async def sse_main(port, n, host, path):
	lat, failed = [], 0
	for i in range(n):
		try:
			lat.append(await sse_one(port, host, path, i == 0))
		except (OSError, ValueError, IndexError, asyncio.TimeoutError,
		    asyncio.IncompleteReadError, asyncio.LimitOverrunError) as e:
			print("sse: request %d: %r" % (i, e), file=sys.stderr)
			failed += 1
	if lat:
		print("sse %.0f %.0f %.0f %d" % (statistics.median(lat), min(lat),
		    max(lat), failed))
	else:
		print("sse 0 0 0 %d" % failed)
	return 0 if failed == 0 else 1


def main():
	if len(sys.argv) not in (5, 6) or sys.argv[1] not in ("ws", "sse"):
		print(__doc__.strip(), file=sys.stderr)
		return 2
	mode, port, n, host = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), \
	    sys.argv[4]
	path = sys.argv[5] if len(sys.argv) == 6 else "/" + mode
	if mode == "ws":
		return asyncio.run(ws_main(port, n, host, path))
	return asyncio.run(sse_main(port, n, host, path))


if __name__ == "__main__":
	sys.exit(main())

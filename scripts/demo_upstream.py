#!/usr/bin/python3
"""A small demo sandbox for trying Drawbridge by hand (see README).

One process, two listeners, pure stdlib asyncio:

  runtime port (like a sandbox's 4001):
    GET  /sandbox/health                      -> {"ok": true, ...}
    GET  /sandbox/files/download?path=NAME    -> the file's bytes
    PUT  /sandbox/files/upload?path=NAME      -> streams the body to a temp
                                                 dir; {"path", "bytesWritten"}
    GET  /sandbox/processes/1/stream          -> SSE, one "output" event every
                                                 500 ms for 10 s, then "done"
  app port (an exposed web app):
    GET  /                                    -> an HTML page listing the
                                                 request headers it received

Usage: scripts/demo_upstream.py [--runtime-port 4001] [--app-port 3000]
       [--bind 127.0.0.1] [--dir DIR]
"""

import argparse
import asyncio
import html
import json
import os
import tempfile
import time
from urllib.parse import parse_qs, urlsplit

MAX_HEAD = 64 * 1024


async def read_head(reader):
	try:
		head = await reader.readuntil(b"\r\n\r\n")
	except (asyncio.IncompleteReadError, asyncio.LimitOverrunError,
	    ConnectionError):
		return None
	lines = head[:-4].decode("latin-1").split("\r\n")
	parts = lines[0].split(" ")
	if len(parts) != 3:
		return None
	headers = []
	for line in lines[1:]:
		n, _, v = line.partition(":")
		headers.append((n.strip(), v.strip()))
	return parts[0], parts[1], parts[2], headers


def hget(headers, name):
	for n, v in headers:
		if n.lower() == name:
			return v
	return None


async def body_chunks(reader, headers):
	"""Yield the request body (Content-Length or chunked)."""
	te = (hget(headers, "transfer-encoding") or "").lower()
	if "chunked" in te:
		while True:
			line = await reader.readuntil(b"\r\n")
			size = int(line.split(b";")[0].strip(), 16)
			if size == 0:
				while (await reader.readuntil(b"\r\n")) != b"\r\n":
					pass
				return
			left = size
			while left:
				d = await reader.read(min(left, 1 << 16))
				if not d:
					raise ConnectionError("eof")
				left -= len(d)
				yield d
			await reader.readexactly(2)
	else:
		left = int(hget(headers, "content-length") or "0")
		while left:
			d = await reader.read(min(left, 1 << 16))
			if not d:
				raise ConnectionError("eof")
			left -= len(d)
			yield d


def response(status, body, ctype="application/json", extra=()):
	reason = {200: "OK", 400: "Bad Request", 404: "Not Found",
	    405: "Method Not Allowed"}.get(status, "OK")
	if isinstance(body, (dict, list)):
		body = (json.dumps(body) + "\n").encode()
	elif isinstance(body, str):
		body = body.encode()
	head = "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n" % (
	    status, reason, ctype, len(body))
	for n, v in extra:
		head += "%s: %s\r\n" % (n, v)
	return head.encode() + b"\r\n" + body


def safe_name(files_dir, path):
	"""Map a client path to a file inside files_dir (basename only)."""
	name = os.path.basename(path or "")
	if not name or name in (".", ".."):
		return None
	return os.path.join(files_dir, name)


async def runtime(reader, writer, files_dir, started):
	try:
		while True:
			h = await read_head(reader)
			if h is None:
				break
			method, target, _, headers = h
			if (hget(headers, "expect") or "").lower() == "100-continue":
				writer.write(b"HTTP/1.1 100 Continue\r\n\r\n")
			u = urlsplit(target)
			q = parse_qs(u.query)
			if method == "GET" and u.path == "/sandbox/health":
				writer.write(response(200, {"ok": True, "uptime": round(
				    time.monotonic() - started, 1), "pid": os.getpid()}))
			elif method == "PUT" and u.path == "/sandbox/files/upload":
				fn = safe_name(files_dir, q.get("path", [""])[0])
				if fn is None:
					async for _ in body_chunks(reader, headers):
						pass
					writer.write(response(400, {"error": "bad path"}))
				else:
					n = 0
					with open(fn, "wb") as f:
						async for d in body_chunks(reader, headers):
							f.write(d)
							n += len(d)
					writer.write(response(200, {"path": q["path"][0],
					    "bytesWritten": n}))
			elif method == "GET" and u.path == "/sandbox/files/download":
				fn = safe_name(files_dir, q.get("path", [""])[0])
				if fn is None or not os.path.isfile(fn):
					writer.write(response(404, {"error": "no such file"}))
				else:
					size = os.path.getsize(fn)
					writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: "
					    b"application/octet-stream\r\nContent-Length: %d\r\n\r\n" % size)
					with open(fn, "rb") as f:
						while True:
							d = f.read(1 << 16)
							if not d:
								break
							writer.write(d)
							await writer.drain()
			elif method == "GET" and u.path.startswith("/sandbox/processes/") and \
			    u.path.endswith("/stream"):
				writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
				    b"Cache-Control: no-cache\r\nTransfer-Encoding: chunked\r\n\r\n")
				await writer.drain()
				start = int(q.get("from_seq", ["0"])[0] or 0)
				for i in range(start, 20):
					ev = ("event: output\nid: %d\ndata: %s\n\n" % (i, json.dumps(
					    {"seq": i, "data": "tick %d\n" % i}))).encode()
					writer.write(b"%x\r\n%s\r\n" % (len(ev), ev))
					await writer.drain()
					await asyncio.sleep(0.5)
				ev = b'event: done\ndata: {"exitCode":0}\n\n'
				writer.write(b"%x\r\n%s\r\n0\r\n\r\n" % (len(ev), ev))
			else:
				async for _ in body_chunks(reader, headers):
					pass
				writer.write(response(404, {"error": "not found", "path": u.path}))
			await writer.drain()
	except (ConnectionError, ValueError, asyncio.IncompleteReadError):
		pass
	finally:
		writer.close()


PAGE = """<!doctype html>
<html><head><meta charset="utf-8"><title>demo app</title></head>
<body><h1>Hello from the demo sandbox app</h1>
<p>{method} {target}</p>
<table border="1">{rows}</table>
</body></html>
"""


async def app(reader, writer):
	try:
		while True:
			h = await read_head(reader)
			if h is None:
				break
			method, target, _, headers = h
			async for _ in body_chunks(reader, headers):
				pass
			rows = "".join("<tr><td>%s</td><td>%s</td></tr>" % (html.escape(n),
			    html.escape(v)) for n, v in headers)
			page = PAGE.format(method=html.escape(method), target=html.escape(target),
			    rows=rows)
			writer.write(response(200, page, "text/html; charset=utf-8"))
			await writer.drain()
	except (ConnectionError, ValueError, asyncio.IncompleteReadError):
		pass
	finally:
		writer.close()


async def main():
	ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
	ap.add_argument("--runtime-port", type=int, default=4001)
	ap.add_argument("--app-port", type=int, default=3000)
	ap.add_argument("--app2-port", type=int, default=0,
	    help="serve the app on a second port too (a protected one)")
	ap.add_argument("--bind", default="127.0.0.1")
	ap.add_argument("--dir", default=None, help="upload directory (default: a temp dir)")
	a = ap.parse_args()
	files_dir = a.dir or tempfile.mkdtemp(prefix="drawbridge-demo-")
	started = time.monotonic()
	rt = await asyncio.start_server(lambda r, w: runtime(r, w, files_dir, started),
	    a.bind, a.runtime_port, limit=MAX_HEAD)
	ap_srv = await asyncio.start_server(app, a.bind, a.app_port, limit=MAX_HEAD)
	servers = [rt, ap_srv]
	if a.app2_port:
		servers.append(await asyncio.start_server(app, a.bind, a.app2_port,
		    limit=MAX_HEAD))
	print("demo runtime on %s:%d (files in %s), app on %s:%d" % (a.bind,
	    a.runtime_port, files_dir, a.bind, a.app_port), flush=True)
	await asyncio.gather(*(srv.serve_forever() for srv in servers))


if __name__ == "__main__":
	try:
		asyncio.run(main())
	except KeyboardInterrupt:
		pass

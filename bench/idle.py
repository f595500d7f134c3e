"""idle.py -- open N keep-alive connections, one request each, then hold.

    /usr/bin/python3 bench/idle.py PORT N HOST [PATH]

Connects N times to 127.0.0.1:PORT (at most CONCURRENT handshakes at a
time), sends one `GET PATH` with `Host: HOST` on each, reads the whole
response (Content-Length framing) and keeps the connection open.  Prints
`ready OK FAILED` on stdout once every connection has either answered or
failed, then holds them all until SIGTERM or SIGINT.
Exit status 0 if every request got a 2xx, else 1.  Used by bench/run.sh.
"""
import asyncio
import signal
import sys

CONCURRENT = 256        # connects + requests in flight at once
TIMEOUT = 30.0          # per connection, seconds
MAX_HEAD = 64 * 1024


async def one(port, host, path, sem, held):
    async with sem:
        try:
            r, w = await asyncio.wait_for(
                asyncio.open_connection("127.0.0.1", port), TIMEOUT)
        except (OSError, asyncio.TimeoutError):
            return False
        try:
            w.write(("GET %s HTTP/1.1\r\nHost: %s\r\n\r\n"
                     % (path, host)).encode())
            head = await asyncio.wait_for(
                r.readuntil(b"\r\n\r\n"), TIMEOUT)
            if len(head) > MAX_HEAD:
                raise ValueError("head too large")
            lines = head.decode("latin-1").split("\r\n")
            status = int(lines[0].split(" ")[1])
            length = 0
            for ln in lines[1:]:
                name, _, value = ln.partition(":")
                if name.strip().lower() == "content-length":
                    length = int(value.strip())
            if length:
                await asyncio.wait_for(r.readexactly(length), TIMEOUT)
        except (OSError, ValueError, IndexError, asyncio.TimeoutError,
                asyncio.IncompleteReadError, asyncio.LimitOverrunError):
            w.close()
            return False
        held.append(w)
        return 200 <= status < 300


async def main():
    if len(sys.argv) not in (4, 5):
        print(__doc__.strip(), file=sys.stderr)
        return 2
    port, n, host = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    path = sys.argv[4] if len(sys.argv) == 5 else "/small"
    sem = asyncio.Semaphore(CONCURRENT)
    held = []
    results = await asyncio.gather(
        *(one(port, host, path, sem, held) for _ in range(n)))
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


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))

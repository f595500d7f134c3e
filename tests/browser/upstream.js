'use strict';
/*
 * upstream.js -- the sandbox's web app as the browser tests need it: a tiny
 * HTTP server (node's http) with a WebSocket echo (RFC 6455 by hand, text
 * frames only), recording every request head it receives so the tests can
 * prove what Drawbridge forwarded.
 *
 *   GET /, /app...      an HTML page titled "upstream-app"
 *   GET|POST /api/echo  JSON {method, url, headers}
 *   GET /setcookies     tries to toss cookies: Domain=<suffix>, Drawbridge's
 *                       cookie name, Clear-Site-Data; plus one harmless
 *                       host-only cookie (the control)
 *   GET /attack?target=URL   (served directly, not through Drawbridge) a
 *                       cross-site page that auto-submits a POST form
 *   GET /ws (Upgrade)   WebSocket echo
 */
const crypto = require('crypto');
const http = require('http');

const WS_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

function page(title, body) {
	return '<!doctype html><html><head><meta charset="utf-8">' +
	    '<title>' + title + '</title></head><body>' + body +
	    '</body></html>';
}

function escapeHtml(s) {
	return String(s).replace(/[&<>"']/g, (c) => '&#' + c.charCodeAt(0) +
	    ';');
}

/* One masked client frame -> {fin, op, payload, used} or null (need more). */
function wsParse(buf) {
	if (buf.length < 2)
		return null;
	const fin = (buf[0] & 0x80) !== 0;
	const op = buf[0] & 0x0f;
	const masked = (buf[1] & 0x80) !== 0;
	let len = buf[1] & 0x7f;
	let off = 2;
	if (len === 126) {
		if (buf.length < 4)
			return null;
		len = buf.readUInt16BE(2);
		off = 4;
	} else if (len === 127) {
		if (buf.length < 10)
			return null;
		len = Number(buf.readBigUInt64BE(2));
		off = 10;
	}
	if (!masked)
		throw new Error('unmasked client frame');
	if (buf.length < off + 4 + len)
		return null;
	const mask = buf.subarray(off, off + 4);
	const payload = Buffer.alloc(len);
	for (let i = 0; i < len; i++)
		payload[i] = buf[off + 4 + i] ^ mask[i & 3];
	return { fin, op, payload, used: off + 4 + len };
}

function wsFrame(op, payload) {
	const n = payload.length;
	let head;
	if (n < 126) {
		head = Buffer.from([0x80 | op, n]);
	} else if (n < 65536) {
		head = Buffer.alloc(4);
		head[0] = 0x80 | op;
		head[1] = 126;
		head.writeUInt16BE(n, 2);
	} else {
		head = Buffer.alloc(10);
		head[0] = 0x80 | op;
		head[1] = 127;
		head.writeBigUInt64BE(BigInt(n), 2);
	}
	return Buffer.concat([head, payload]);
}

class Upstream {
	constructor(name, suffix) {
		this.name = name;
		this.suffix = suffix;
		this.requests = [];	/* {method, url, headers, rawHeaders, ws} */
		this.wsMessages = [];
		this.server = http.createServer((req, res) => this.onRequest(req,
		    res));
		this.server.on('upgrade', (req, sock, head) => this.onUpgrade(req,
		    sock, head));
		this.sockets = new Set();
		this.server.on('connection', (s) => {
			this.sockets.add(s);
			s.on('close', () => this.sockets.delete(s));
		});
	}

	listen(host) {
		return new Promise((resolve, reject) => {
			this.server.once('error', reject);
			this.server.listen(0, host, () => {
				this.port = this.server.address().port;
				resolve(this.port);
			});
		});
	}

	close() {
		for (const s of this.sockets)
			s.destroy();
		return new Promise((resolve) => this.server.close(() => resolve()));
	}

	record(req, ws) {
		const r = {
			method: req.method, url: req.url, headers: req.headers,
			rawHeaders: req.rawHeaders, ws,
		};
		this.requests.push(r);
		return r;
	}

	onRequest(req, res) {
		const r = this.record(req, false);
		const u = new URL(req.url, 'http://upstream');
		const chunks = [];
		req.on('data', (c) => chunks.push(c));
		req.on('end', () => {
			r.body = Buffer.concat(chunks).toString('latin1');
			this.answer(req, res, u, r);
		});
	}

	answer(req, res, u, r) {
		const p = u.pathname;
		if (p === '/api/echo') {
			const body = JSON.stringify({ upstream: this.name,
			    method: req.method, url: req.url, headers: req.headers,
			    body: r.body });
			res.writeHead(200, { 'Content-Type': 'application/json',
			    'Cache-Control': 'no-store' });
			res.end(body);
			return;
		}
		if (p === '/setcookies') {
			const sfx = this.suffix;
			res.setHeader('Set-Cookie', [
				'tossed=1; Domain=' + sfx + '; Path=/',
				'tossed2=1; Domain=.' + sfx + '; Path=/; Secure',
				'tossed3=1; Domain=' + sfx.toUpperCase() + '; Path=/',
				'__Host-drawbridge=evil; Path=/; Secure; HttpOnly',
				'__host-drawbridge=evil2; Path=/; Secure',
				'ok=1; Path=/; Secure; SameSite=Lax',
			]);
			res.setHeader('Clear-Site-Data', '"cookies", "storage"');
			res.writeHead(200, { 'Content-Type': 'text/html' });
			res.end(page('upstream-setcookies', 'set'));
			return;
		}
		if (p === '/attack') {
			const target = u.searchParams.get('target') || '/';
			res.writeHead(200, { 'Content-Type': 'text/html' });
			res.end(page('attacker',
			    '<form id="f" method="POST" action="' +
			    escapeHtml(target) + '">' +
			    '<input type="hidden" name="evil" value="1"></form>' +
			    '<script>document.getElementById("f").submit()' +
			    '</script>'));
			return;
		}
		res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8',
		    'Cache-Control': 'no-store' });
		res.end(page('upstream-app', '<h1>upstream-app ' + this.name +
		    '</h1><p id="path">' + escapeHtml(req.url) + '</p>'));
	}

	onUpgrade(req, sock, head) {
		this.record(req, true);
		const key = req.headers['sec-websocket-key'];
		if (req.url !== '/ws' || !key ||
		    (req.headers.upgrade || '').toLowerCase() !== 'websocket') {
			sock.end('HTTP/1.1 400 Bad Request\r\n' +
			    'Content-Length: 0\r\nConnection: close\r\n\r\n');
			return;
		}
		const accept = crypto.createHash('sha1').update(key + WS_GUID)
		    .digest('base64');
		sock.write('HTTP/1.1 101 Switching Protocols\r\n' +
		    'Upgrade: websocket\r\nConnection: Upgrade\r\n' +
		    'Sec-WebSocket-Accept: ' + accept + '\r\n\r\n');
		let buf = Buffer.from(head || []);
		const onData = (d) => {
			buf = Buffer.concat([buf, d]);
			for (;;) {
				let f;
				try {
					f = wsParse(buf);
				} catch (e) {
					sock.destroy();
					return;
				}
				if (f === null)
					return;
				buf = buf.subarray(f.used);
				if (f.op === 0x8) {
					sock.end(wsFrame(0x8, f.payload.subarray(0, 2)));
					return;
				}
				if (f.op === 0x9) {
					sock.write(wsFrame(0xa, f.payload));
					continue;
				}
				if (f.op === 0x1 || f.op === 0x2) {
					this.wsMessages.push(f.payload.toString('utf8'));
					sock.write(wsFrame(f.op, f.payload));
				}
			}
		};
		sock.on('data', onData);
		sock.on('error', () => sock.destroy());
	}
}

module.exports = { Upstream };

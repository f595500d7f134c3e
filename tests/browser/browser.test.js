'use strict';
/*
 * browser.test.js -- issue 5 in a real browser: Debian's Chromium, driven by
 * playwright-core, against Drawbridge over HTTPS on *.sandbox.localhost with
 * a development CA (scripts/devca.sh).  Started by tests/browser/run.sh.
 *
 * Everything runs on loopback: a private redis-server, the upstream app of
 * upstream.js (two listeners: port A and port B of the sandboxes, plus an
 * attacker site served directly), and one drawbridge with
 *
 *   sbx1: A auth, B auth        sbx2: A auth
 *
 * Grants are HS256 JWTs minted here with the jwt-key; cookies for the
 * tampered/expired/other-host cases are minted here with the cookie-key in
 * the documented v1 format (docs/BROWSER.md), which also pins that format.
 *
 * Env: DRAWBRIDGE_BIN, DRAWBRIDGECTL_BIN (required), CHROMIUM (default
 * /usr/bin/chromium), BROWSER_KEEP=1 keeps the work directory.
 * Prints "ok - ..." / "not ok - ..." per case, then
 * "browser: N passed, N failed".
 */
const assert = require('assert');
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const os = require('os');
const path = require('path');
const { spawn, execFileSync } = require('child_process');
const { chromium } = require('playwright-core');
const { Upstream } = require('./upstream');

const ROOT = path.resolve(__dirname, '..', '..');
const SUFFIX = 'sandbox.localhost';
const COOKIE = '__Host-drawbridge';
const KID = 'dev';
const CKID = 'c1';
const NAV_TIMEOUT = 10000;

const results = [];
const cleanups = [];

function log(...a) {
	console.log(...a);
}

/* ---- small helpers ---- */

function b64u(buf) {
	return Buffer.from(buf).toString('base64').replace(/=+$/, '')
	    .replace(/\+/g, '-').replace(/\//g, '_');
}

function secretBytes() {
	/* 48 random bytes that do not end in a newline (config strips one). */
	let s;
	do {
		s = crypto.randomBytes(48);
	} while (s[s.length - 1] === 0x0a);
	return s;
}

function mintJwt(secret, claims) {
	const h = b64u(JSON.stringify({ alg: 'HS256', typ: 'JWT', kid: KID }));
	const p = b64u(JSON.stringify(claims));
	const sig = crypto.createHmac('sha256', secret).update(h + '.' + p)
	    .digest();
	return h + '.' + p + '.' + b64u(sig);
}

/* The documented cookie format (docs/BROWSER.md). */
function mintCookie(key, host, exp, kid = CKID) {
	const mac = crypto.createHmac('sha256', key)
	    .update('drawbridge-cookie-v1.' + kid + '.' + exp + '.' + host)
	    .digest();
	return 'v1.' + kid + '.' + exp + '.' + b64u(mac);
}

function freePort() {
	return new Promise((resolve, reject) => {
		const s = net.createServer();
		s.once('error', reject);
		s.listen(0, '127.0.0.1', () => {
			const p = s.address().port;
			s.close(() => resolve(p));
		});
	});
}

function sleep(ms) {
	return new Promise((r) => setTimeout(r, ms));
}

function waitPort(port, ms, proc) {
	const deadline = Date.now() + ms;
	return new Promise((resolve, reject) => {
		const tryOnce = () => {
			if (proc && proc.exitCode !== null)
				return reject(new Error('process exited ' + proc.exitCode));
			const s = net.connect(port, '127.0.0.1');
			s.once('connect', () => {
				s.destroy();
				resolve();
			});
			s.once('error', () => {
				s.destroy();
				if (Date.now() > deadline)
					reject(new Error('port ' + port + ' not up'));
				else
					setTimeout(tryOnce, 50);
			});
		};
		tryOnce();
	});
}

function startProc(cmd, args, logFile, opts = {}) {
	const fd = fs.openSync(logFile, 'a');
	const p = spawn(cmd, args, { stdio: ['ignore', fd, fd], ...opts });
	fs.closeSync(fd);
	cleanups.push(async () => {
		if (p.exitCode === null && p.signalCode === null) {
			p.kill('SIGTERM');
			for (let i = 0; i < 100 && p.exitCode === null &&
			    p.signalCode === null; i++)
				await sleep(50);
			if (p.exitCode === null && p.signalCode === null)
				p.kill('SIGKILL');
		}
	});
	return p;
}

/* ---- the world ---- */

const W = {};

async function setup() {
	for (const v of ['DRAWBRIDGE_BIN', 'DRAWBRIDGECTL_BIN'])
		if (!process.env[v] || !fs.existsSync(process.env[v]))
			throw new Error(v + ' not set or missing: ' + process.env[v]);
	W.dir = fs.mkdtempSync(path.join(os.tmpdir(), 'drawbridge-browser-'));
	if (!process.env.BROWSER_KEEP)
		cleanups.push(async () => fs.rmSync(W.dir, { recursive: true,
		    force: true }));

	/* TLS: the development CA and *.sandbox.localhost. */
	execFileSync('sh', [path.join(ROOT, 'scripts/devca.sh'),
	    path.join(W.dir, 'tls'), SUFFIX], { stdio: 'pipe' });
	const crt = path.join(W.dir, 'tls', SUFFIX + '.crt');
	const pem = fs.readFileSync(crt, 'utf8');
	const spki = new crypto.X509Certificate(pem).publicKey
	    .export({ type: 'spki', format: 'der' });
	W.spkiHash = crypto.createHash('sha256').update(spki).digest('base64');

	/* Keys. */
	W.jwtSecret = secretBytes();
	W.cookieKey = secretBytes();
	fs.writeFileSync(path.join(W.dir, 'dev.key'), W.jwtSecret,
	    { mode: 0o600 });
	fs.writeFileSync(path.join(W.dir, 'cookie.key'), W.cookieKey,
	    { mode: 0o600 });

	/* Redis. */
	W.redisPort = await freePort();
	W.redis = startProc('redis-server', ['--port', String(W.redisPort),
	    '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
	    path.join(W.dir, 'redis.log'));
	await waitPort(W.redisPort, 10000, W.redis);

	/* Upstreams: the app on two ports, and an attacker site. */
	W.upA = new Upstream('A', SUFFIX);
	W.upB = new Upstream('B', SUFFIX);
	W.evil = new Upstream('evil', SUFFIX);
	await W.upA.listen('127.0.0.1');
	await W.upB.listen('127.0.0.1');
	await W.evil.listen('127.0.0.1');
	cleanups.push(() => W.upA.close(), () => W.upB.close(),
	    () => W.evil.close());
	W.A = W.upA.port;
	W.B = W.upB.port;

	/* Drawbridge. */
	W.port = await freePort();
	W.conf = path.join(W.dir, 'drawbridge.conf');
	fs.writeFileSync(W.conf, [
		'listen 127.0.0.1:' + W.port + ' tls',
		'workers 1',
		'domain ' + SUFFIX,
		'redis 127.0.0.1:' + W.redisPort,
		'jwt-key ' + KID + ' HS256 dev.key',
		'cookie-key ' + CKID + ' cookie.key',
		'cookie-samesite lax',
		'cookie-ttl 1h',
		'grant-max-ttl 10m',
		'tls-cert tls/' + SUFFIX + '.crt tls/' + SUFFIX + '.key',
		'timeout-connect 2s',
		'',
	].join('\n'));
	W.log = path.join(W.dir, 'drawbridge.log');
	const ctl = (...args) => execFileSync(process.env.DRAWBRIDGECTL_BIN,
	    ['-c', W.conf, ...args], { stdio: 'pipe' }).toString();
	ctl('route', 'put', 'sbx1', '--target', '127.0.0.1', '--expose',
	    W.A + ':auth', '--expose', W.B + ':auth');
	ctl('route', 'put', 'sbx2', '--target', '127.0.0.1', '--expose',
	    W.A + ':auth');
	W.db = startProc(process.env.DRAWBRIDGE_BIN, ['-c', W.conf], W.log,
	    { cwd: W.dir });
	await waitPort(W.port, 10000, W.db);

	/* Chromium. */
	W.browser = await chromium.launch({
		executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
		headless: true,
		args: [
			'--no-sandbox', '--disable-gpu', '--disable-quic',
			'--no-first-run', '--disable-background-networking',
			'--disable-component-update', '--disable-sync',
			'--host-resolver-rules=MAP *.' + SUFFIX + ' 127.0.0.1',
			'--ignore-certificate-errors-spki-list=' + W.spkiHash,
		],
	});
	cleanups.push(() => W.browser.close());
}

function host(port, sbx) {
	return port + '-' + sbx + '.' + SUFFIX;
}

function origin(port, sbx) {
	return 'https://' + host(port, sbx) + ':' + W.port;
}

function grant(sbx, port, ttl = 300, extra = {}) {
	const now = Math.floor(Date.now() / 1000);
	const c = { sbx, aud: 'drawbridge', iat: now, exp: now + ttl, ...extra };
	if (port !== null)
		c.port = port;
	return mintJwt(W.jwtSecret, c);
}

function authUrl(port, sbx, g, next) {
	let u = origin(port, sbx) + '/_hb/auth?grant=' + encodeURIComponent(g);
	if (next !== undefined)
		u += '&next=' + next;
	return u;
}

/* Every upstream request head, flattened to one string per request. */
function upstreamText() {
	return [W.upA, W.upB].flatMap((u) => u.requests.map((r) =>
	    r.method + ' ' + r.url + '\n' + r.rawHeaders.join('\n')));
}

const seen = { grants: [], cookies: [] };

async function bootstrap(ctx, port, sbx, next = '%2Fapp%3Fx%3D1') {
	const page = await ctx.newPage();
	const g = grant(sbx, port);
	seen.grants.push(g);
	const hops = [];
	page.on('response', (r) => hops.push(r));
	const resp = await page.goto(authUrl(port, sbx, g, next),
	    { timeout: NAV_TIMEOUT });
	const c = (await ctx.cookies()).find((k) => k.name === COOKIE &&
	    k.domain === host(port, sbx));
	if (c)
		seen.cookies.push(c.value);
	return { page, resp, hops, cookie: c };
}

/* ---- the cases ---- */

const cases = [];
function test(name, fn) {
	cases.push({ name, fn });
}

test('E01 bootstrap link lands on next with a host-only __Host- cookie',
    async () => {
	const ctx = await W.browser.newContext();
	try {
		const { page, resp, hops, cookie } = await bootstrap(ctx, W.A,
		    'sbx1');
		assert.strictEqual(resp.status(), 200);
		assert.strictEqual(page.url(), origin(W.A, 'sbx1') + '/app?x=1');
		assert.strictEqual(await page.title(), 'upstream-app');
		const r302 = hops.find((r) => r.url().includes('/_hb/auth'));
		assert.ok(r302, 'no bootstrap response seen');
		assert.strictEqual(r302.status(), 302);
		const h = await r302.allHeaders();
		assert.strictEqual(h.location, '/app?x=1');
		assert.match(h['cache-control'] || '', /no-store/);
		assert.strictEqual(h['referrer-policy'], 'no-referrer');
		const sc = await r302.headerValue('set-cookie');
		assert.match(sc, /^__Host-drawbridge=v1\.c1\.\d+\.[A-Za-z0-9_-]{43};/);
		for (const attr of [/;\s*Path=\/(;|$)/i, /;\s*Secure(;|$)/i,
		    /;\s*HttpOnly(;|$)/i, /;\s*SameSite=Lax(;|$)/i,
		    /;\s*Max-Age=\d+(;|$)/i])
			assert.match(sc, attr);
		assert.doesNotMatch(sc, /domain=/i);
		assert.ok(cookie, 'browser did not store the cookie');
		assert.strictEqual(cookie.domain, host(W.A, 'sbx1'));
		assert.strictEqual(cookie.path, '/');
		assert.ok(cookie.secure && cookie.httpOnly);
		assert.strictEqual(cookie.sameSite, 'Lax');
		/* The documented format, recomputed here. */
		const exp = cookie.value.split('.')[2];
		assert.strictEqual(cookie.value, mintCookie(W.cookieKey,
		    host(W.A, 'sbx1'), exp));
		const ttl = Number(exp) - Date.now() / 1000;
		assert.ok(ttl > 3500 && ttl <= 3601, 'exp ' + ttl + ' s away');
		/* HttpOnly: the page cannot read it. */
		assert.doesNotMatch(await page.evaluate(() => document.cookie),
		    /drawbridge/);
	} finally {
		await ctx.close();
	}
});

test('fetch and WebSocket from the page work; our cookie is not forwarded',
    async () => {
	const ctx = await W.browser.newContext();
	try {
		const { page } = await bootstrap(ctx, W.A, 'sbx1');
		await page.evaluate(() => {
			document.cookie = 'app=1; Path=/; Secure';
		});
		const got = await page.evaluate(async () => {
			const r = await fetch('/api/echo?f=1');
			return { status: r.status, body: await r.json() };
		});
		assert.strictEqual(got.status, 200);
		assert.strictEqual(got.body.url, '/api/echo?f=1');
		assert.strictEqual(got.body.headers.cookie, 'app=1');
		const ws = await page.evaluate(() => new Promise((resolve) => {
			const s = new WebSocket('wss://' + location.host + '/ws');
			const t = setTimeout(() => resolve('timeout'), 5000);
			s.onopen = () => s.send('hello over wss');
			s.onmessage = (e) => {
				clearTimeout(t);
				s.close();
				resolve('echo:' + e.data);
			};
			s.onerror = () => {
				clearTimeout(t);
				resolve('error');
			};
		}));
		assert.strictEqual(ws, 'echo:hello over wss');
		const up = W.upA.requests.filter((r) => r.ws);
		assert.ok(up.length >= 1, 'upstream saw no WebSocket upgrade');
		const last = up[up.length - 1];
		assert.strictEqual(last.headers.cookie, 'app=1');
	} finally {
		await ctx.close();
	}
});

test('another sandbox, another port and the runtime host are refused',
    async () => {
	const ctx = await W.browser.newContext();
	try {
		const { page } = await bootstrap(ctx, W.A, 'sbx1');
		/* The landing page's own follow-ups (favicon) must not be
		 * counted as refused requests reaching an upstream. */
		await page.waitForLoadState('networkidle');
		const n0 = W.upA.requests.length + W.upB.requests.length;
		for (const [url, what] of [
		    [origin(W.A, 'sbx2') + '/app', 'sbx2 same port'],
		    [origin(W.B, 'sbx1') + '/app', 'sbx1 other port'],
		    ['https://sbx1.' + SUFFIX + ':' + W.port + '/', 'runtime'],
		]) {
			const r = await page.goto(url, { timeout: NAV_TIMEOUT });
			assert.strictEqual(r.status(), 401, what);
			assert.match(r.headers()['content-type'] || '', /text\/html/,
			    what + ': a browser navigation gets the HTML page');
		}
		assert.strictEqual(W.upA.requests.length + W.upB.requests.length,
		    n0, 'a refused request reached an upstream');
		/* Only one cookie, host-only, in the whole jar. */
		const all = (await ctx.cookies()).filter((c) => c.name === COOKIE);
		assert.strictEqual(all.length, 1);
	} finally {
		await ctx.close();
	}
});

const REDIRECTS = [
	'https%3A%2F%2Fevil.example%2F',
	'https://evil.example/',
	'%2F%2Fevil.example',
	'//evil.example',
	'%2F%5Cevil.example',
	'%5C%2Fevil.example',
	'%2F%252F%2Fevil.example',
	'%2F%09%2Fevil.example',
	'%2F%0A%2Fevil.example',
	'%2F%0D%0ASet-Cookie%3A%20x%3Dy',
	'%20%2Fevil.example',
	'javascript%3Aalert(1)',
	'data%3Atext%2Fhtml%2Cx',
	'http%3A%2Fevil.example',
	'https%3Aevil.example',
	'%2F%2F%2Fevil.example',
	'%2F%5C%5Cevil.example',
	'%2F%252F%252Fevil.example',
];

test('E05 ' + REDIRECTS.length + ' open-redirect variants of next stay ' +
    'on the same host', async () => {
	const ctx = await W.browser.newContext();
	const page = await ctx.newPage();
	const bad = [];
	try {
		const evilHits = () => W.evil.requests.length;
		const e0 = evilHits();
		for (const n of REDIRECTS) {
			const g = grant('sbx1', W.A);
			seen.grants.push(g);
			let r;
			try {
				r = await page.goto(authUrl(W.A, 'sbx1', g, n),
				    { timeout: NAV_TIMEOUT });
			} catch (e) {
				bad.push(n + ': ' + e.message.split('\n')[0]);
				continue;
			}
			const u = new URL(page.url());
			if (u.origin !== origin(W.A, 'sbx1') ||
			    u.pathname.startsWith('//') || r.status() !== 200)
				bad.push(n + ' -> ' + page.url() + ' (' + r.status() + ')');
			const loc = r.request().redirectedFrom();
			if (loc) {
				const l = (await loc.response()).headers().location;
				if (l !== '/')
					bad.push(n + ': Location ' + JSON.stringify(l));
			}
		}
		assert.strictEqual(evilHits(), e0);
		assert.deepStrictEqual(bad, []);
	} finally {
		await ctx.close();
	}
});

test('E06/E12 tampered, expired, other-host and forged cookies are refused',
    async () => {
	const now = Math.floor(Date.now() / 1000);
	const h1 = host(W.A, 'sbx1');
	const good = mintCookie(W.cookieKey, h1, now + 600);
	const flip = good.slice(0, -1) + (good.endsWith('A') ? 'Q' : 'A');
	const cases2 = [
		['good (control)', good, 200],
		['tampered mac', flip, 401],
		['tampered exp', good.replace(/\.(\d+)\./, (m, e) => '.' +
		    (Number(e) + 1) + '.'), 401],
		['expired', mintCookie(W.cookieKey, h1, now - 5), 401],
		['other host (sbx2)', mintCookie(W.cookieKey, host(W.A, 'sbx2'),
		    now + 600), 401],
		['other port', mintCookie(W.cookieKey, host(W.B, 'sbx1'),
		    now + 600), 401],
		['host with port', mintCookie(W.cookieKey, h1 + ':' + W.port,
		    now + 600), 401],
		['wrong key', mintCookie(crypto.randomBytes(48), h1, now + 600),
		    401],
		['unknown kid', mintCookie(W.cookieKey, h1, now + 600, 'c9'),
		    401],
	];
	const bad = [];
	for (const [what, value, want] of cases2) {
		const ctx = await W.browser.newContext();
		try {
			await ctx.addCookies([{ name: COOKIE, value,
			    url: origin(W.A, 'sbx1') + '/', secure: true,
			    httpOnly: true, sameSite: 'Lax' }]);
			const page = await ctx.newPage();
			const r = await page.goto(origin(W.A, 'sbx1') + '/app',
			    { timeout: NAV_TIMEOUT });
			if (r.status() !== want)
				bad.push(what + ': ' + r.status());
		} finally {
			await ctx.close();
		}
	}
	assert.deepStrictEqual(bad, []);
});

test('E04 expired and over-long grants are refused', async () => {
	const ctx = await W.browser.newContext();
	try {
		const page = await ctx.newPage();
		const now = Math.floor(Date.now() / 1000);
		for (const [what, g] of [
		    ['expired', mintJwt(W.jwtSecret, { sbx: 'sbx1',
			aud: 'drawbridge', iat: now - 600, exp: now - 60,
			port: W.A })],
		    ['longer than grant-max-ttl', grant('sbx1', W.A, 3600)],
		    ['other sandbox', grant('sbx2', W.A)],
		    ['other port scope', grant('sbx1', W.B)],
		]) {
			seen.grants.push(g);
			const r = await page.goto(authUrl(W.A, 'sbx1', g, '%2Fapp'),
			    { timeout: NAV_TIMEOUT });
			assert.ok(r.status() === 401 || r.status() === 403,
			    what + ': ' + r.status());
		}
		assert.strictEqual((await ctx.cookies()).length, 0);
	} finally {
		await ctx.close();
	}
});

test('cross-site POST does not carry the cookie (SameSite=Lax)',
    async () => {
	const ctx = await W.browser.newContext();
	try {
		const { page } = await bootstrap(ctx, W.A, 'sbx1');
		/* Control: the same POST from the sandbox's own page works. */
		const same = await page.evaluate(async () => {
			const r = await fetch('/api/echo', { method: 'POST',
			    body: 'same=1', headers: { 'Content-Type':
			    'application/x-www-form-urlencoded' } });
			return r.status;
		});
		assert.strictEqual(same, 200);
		const posts0 = W.upA.requests.filter((r) => r.method ===
		    'POST').length;
		const target = origin(W.A, 'sbx1') + '/api/echo';
		const attack = 'http://127.0.0.1:' + W.evil.port +
		    '/attack?target=' + encodeURIComponent(target);
		const done = page.waitForResponse((r) => r.url() === target &&
		    r.request().method() === 'POST', { timeout: NAV_TIMEOUT });
		await page.goto(attack, { timeout: NAV_TIMEOUT });
		const r = await done;
		const sent = await r.request().allHeaders();
		assert.ok(!/drawbridge/.test(sent.cookie || ''),
		    'the cross-site POST carried our cookie');
		assert.strictEqual(r.status(), 401);
		assert.strictEqual(W.upA.requests.filter((q) => q.method ===
		    'POST').length, posts0, 'the POST reached the upstream');
	} finally {
		await ctx.close();
	}
});

test('G01/G02 upstream cookie tossing and Clear-Site-Data never reach ' +
    'the browser', async () => {
	const ctx = await W.browser.newContext();
	try {
		const { page, cookie } = await bootstrap(ctx, W.A, 'sbx1');
		const r = await page.goto(origin(W.A, 'sbx1') + '/setcookies',
		    { timeout: NAV_TIMEOUT });
		assert.strictEqual(r.status(), 200);
		const hs = await r.headersArray();
		const sc = hs.filter((h) => h.name.toLowerCase() === 'set-cookie')
		    .map((h) => h.value);
		assert.deepStrictEqual(sc.filter((v) => /domain=|drawbridge/i
		    .test(v)), [], 'forbidden Set-Cookie reached the browser');
		assert.ok(!hs.some((h) => h.name.toLowerCase() ===
		    'clear-site-data'), 'Clear-Site-Data reached the browser');
		const jar = await ctx.cookies();
		const names = jar.map((c) => c.name + '@' + c.domain);
		assert.ok(!jar.some((c) => /^tossed/.test(c.name)), names.join());
		const ours = jar.filter((c) => c.name.toLowerCase() ===
		    COOKIE.toLowerCase());
		assert.strictEqual(ours.length, 1, names.join());
		assert.strictEqual(ours[0].value, cookie.value);
		assert.ok(jar.some((c) => c.name === 'ok'),
		    'the harmless host-only cookie was not kept: ' + names);
		/* The session still works. */
		const again = await page.goto(origin(W.A, 'sbx1') + '/app',
		    { timeout: NAV_TIMEOUT });
		assert.strictEqual(again.status(), 200);
	} finally {
		await ctx.close();
	}
});

test('logout clears the cookie; the next navigation gets the HTML 401',
    async () => {
	const ctx = await W.browser.newContext();
	try {
		const { page } = await bootstrap(ctx, W.A, 'sbx1');
		const r = await page.goto(origin(W.A, 'sbx1') + '/_hb/logout',
		    { timeout: NAV_TIMEOUT });
		assert.ok(r.status() < 400, 'logout ' + r.status());
		assert.strictEqual((await ctx.cookies()).filter((c) => c.name ===
		    COOKIE).length, 0);
		const r2 = await page.goto(origin(W.A, 'sbx1') + '/app',
		    { timeout: NAV_TIMEOUT });
		assert.strictEqual(r2.status(), 401);
		assert.match(r2.headers()['content-type'] || '', /text\/html/);
		assert.ok(r2.request().redirectedFrom() === null,
		    'the 401 must not redirect');
	} finally {
		await ctx.close();
	}
});

test('O01 the upstream never saw a grant or Drawbridge cookie, nor did ' +
    'the access log', async () => {
	const up = upstreamText().join('\n\n');
	assert.ok(up.length > 0);
	assert.doesNotMatch(up, /__Host-drawbridge/i);
	assert.doesNotMatch(up, /grant=/);
	for (const g of seen.grants)
		assert.ok(!up.includes(g), 'a grant reached the upstream');
	for (const c of seen.cookies)
		assert.ok(!up.includes(c), 'a cookie reached the upstream');
	const logText = fs.readFileSync(W.log, 'utf8');
	for (const g of seen.grants)
		assert.ok(!logText.includes(g), 'a grant is in the log');
	for (const c of seen.cookies)
		assert.ok(!logText.includes(c.split('.')[3]),
		    'a cookie MAC is in the log');
	assert.doesNotMatch(logText, /AddressSanitizer|runtime error:|fatal/);
});

/* ---- run ---- */

async function main() {
	let passed = 0;
	let failed = 0;
	const t0 = Date.now();
	try {
		await setup();
	} catch (e) {
		log('not ok - setup: ' + (e.stack || e));
		failed = cases.length;
		await teardown();
		log('browser: 0 passed, ' + failed + ' failed');
		process.exitCode = 1;
		return;
	}
	for (const c of cases) {
		try {
			await c.fn();
			passed++;
			log('ok - ' + c.name);
		} catch (e) {
			failed++;
			log('not ok - ' + c.name + '\n    ' +
			    String(e && e.message || e).split('\n').join('\n    '));
		}
	}
	if (W.db && W.db.exitCode !== null) {
		failed++;
		log('not ok - drawbridge exited during the run (' + W.db.exitCode +
		    ')');
	}
	if (failed && fs.existsSync(W.log))
		log('--- drawbridge log tail ---\n' + fs.readFileSync(W.log, 'utf8')
		    .split('\n').slice(-25).join('\n'));
	await teardown();
	log('(' + ((Date.now() - t0) / 1000).toFixed(1) + ' s)');
	log('browser: ' + passed + ' passed, ' + failed + ' failed');
	process.exitCode = failed ? 1 : 0;
}

async function teardown() {
	while (cleanups.length) {
		const f = cleanups.pop();
		try {
			await f();
		} catch (e) {
			/* best effort */
		}
	}
}

main();

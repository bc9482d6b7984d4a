// The browser test: Debian's chromium, headless, driven by playwright-core
// (no browser is downloaded: executablePath /usr/bin/chromium). Run by
// tests/http/browser.bats, which gives it a running API (Apache) and the
// ports; usable by hand too:
//
//   node tests/browser/browser-test.mjs allowed --api URL --port P \
//        --name NAME --email EMAIL --password PW [--expired-token JWT]
//       Serves tests/browser/page/ on http://127.0.0.1:P (an origin that
//       must be in the API's CORS_ORIGINS) and, in the page, signs up, reads
//       the OTP from the SMTP sink's mail (mail_wait + mail_otp of
//       tests/cgi/helpers.bash, so MC_MAIL_SINK must be set), verifies, logs
//       in and loads the profile; checks the profile shown (name, email,
//       verified). Then loads the profile with the expired token (when
//       given) and with a malformed one: the page must read the 401's
//       WWW-Authenticate cross-origin as exactly Bearer error="invalid_token";
//       and without a token, as plain Bearer. Then refreshes (a new refresh
//       token), lists the sessions (two: verify-otp's and login's, one
//       current), logs out everywhere and sees the access and refresh
//       tokens refused. Last, logs in again and deletes the account with
//       its password: its token and its password are then refused.
//   node tests/browser/browser-test.mjs refused --api URL --port P \
//        --email EMAIL --password PW --login-email EMAIL2
//       The same page on http://127.0.0.1:P, an origin NOT in CORS_ORIGINS:
//       signup (EMAIL) and login (EMAIL2, an existing verified account, same
//       password) must fail in the browser with a TypeError from fetch, and
//       no profile may be shown.
//   node tests/browser/browser-test.mjs mfa --api URL --port P \
//        --name NAME --email EMAIL --password PW --issuer APP_NAME
//       The same page, on an allowed origin: signs up and verifies, then
//       sets up two-factor sign-in with the password: the page draws the
//       otpauth URI as a QR code with the npm package qrcode, and the URI
//       and every module of the canvas must be those of the contract's URI
//       for the secret shown. Enables with a TOTP code computed here
//       (node's crypto, RFC 6238, checked first against RFC 4226's values)
//       and the mailed code; the page shows 10 recovery codes. Logs in:
//       mfa_required and no profile; verifies with a fresh TOTP code and
//       checks the profile; logs in again and verifies with the first
//       recovery code, and checks the profile again.
//   node tests/browser/browser-test.mjs docs --api URL
//       Opens URL/docs and waits until Swagger UI lists an operation for
//       every path of URL/openapi.json, and checks that the page loaded
//       nothing from any other origin (no CDN).
//
// Every step waits a few seconds at most (STEP_MS); the whole run is cut at
// TOTAL_MS. Prints "browser-test: ok: ..." lines; on failure one
// "browser-test: FAIL: ..." line, the page's console and requests, exit 1.
// The page servers and chromium are closed on every path out.

import { spawnSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';
import QRCode from 'qrcode';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const ROOT = path.resolve(HERE, '../..');
const PAGE_DIR = path.join(HERE, 'page');
const CHROMIUM = process.env.MC_CHROMIUM || '/usr/bin/chromium';
const STEP_MS = Number(process.env.MC_BROWSER_STEP_MS || 5000);
const TOTAL_MS = Number(process.env.MC_BROWSER_TOTAL_MS || 60000);

class Failure extends Error {}

function fail(msg) {
	throw new Failure(msg);
}

function log(msg) {
	process.stdout.write(`browser-test: ${msg}\n`);
}

function parseArgs(argv) {
	const [mode, ...rest] = argv;
	const opts = {};
	for (let i = 0; i < rest.length; i += 2) {
		if (!rest[i].startsWith('--') || i + 1 >= rest.length) {
			fail(`bad argument '${rest[i]}' (want --name value pairs)`);
		}
		opts[rest[i].slice(2)] = rest[i + 1];
	}
	return { mode, opts };
}

function need(opts, ...names) {
	for (const n of names) {
		if (!opts[n]) fail(`missing --${n}`);
	}
}

// ---------------------------------------------------------------------------
// The page's origin: a static server of tests/browser/page/ on 127.0.0.1.

// A FILE of page/, or a function that makes the text served.
const PAGE_FILES = {
	'/': ['index.html', 'text/html; charset=utf-8'],
	'/index.html': ['index.html', 'text/html; charset=utf-8'],
	'/app.js': ['app.js', 'text/javascript; charset=utf-8'],
	'/qrcode.js': [() => qrcodeScript(), 'text/javascript; charset=utf-8'],
};

// The npm package qrcode for the page, as a bundler (webpack, Vite) builds it
// into a React app: the CommonJS module its package.json names for browsers
// (lib/browser.js) and every module it requires (its own files, dijkstrajs),
// each wrapped in a function, in one script that sets window.QRCode. The
// package ships no prebuilt browser file.
async function qrcodeScript() {
	const req = createRequire(import.meta.url);
	const dir = path.dirname(req.resolve('qrcode/package.json'));
	const pkg = JSON.parse(await readFile(path.join(dir, 'package.json'), 'utf8'));
	const modules = new Map(); // file -> { id, deps: { specifier: id }, src }
	async function add(file) {
		if (modules.has(file)) return modules.get(file).id;
		const m = { id: modules.size, deps: {}, src: await readFile(file, 'utf8') };
		modules.set(file, m);
		const resolve = createRequire(file).resolve;
		for (const [, spec] of m.src.matchAll(/\brequire\(\s*['"]([^'"]+)['"]\s*\)/g)) {
			m.deps[spec] = await add(resolve(spec));
		}
		return m.id;
	}
	const entry = await add(path.join(dir, pkg.browser[pkg.main] || pkg.main));
	const defs = [...modules.values()].map((m) =>
		`[function (module, exports, require) {\n${m.src}\n}, ${JSON.stringify(m.deps)}]`);
	return `// qrcode ${pkg.version} (npm), ${modules.size} CommonJS modules
(function () {
const defs = [${defs.join(',\n')}];
const cache = [];
function load(id) {
	if (!cache[id]) {
		const module = { exports: {} };
		cache[id] = module;
		defs[id][0].call(module.exports, module, module.exports, (spec) => load(defs[id][1][spec]));
	}
	return cache[id].exports;
}
window.QRCode = load(${entry});
})();
`;
}

function servePage(port) {
	const server = http.createServer(async (req, res) => {
		const url = new URL(req.url, 'http://page.invalid');
		const entry = PAGE_FILES[url.pathname];
		if (url.pathname === '/favicon.ico') {
			res.writeHead(204);
			res.end();
			return;
		}
		if (req.method !== 'GET' || !entry) {
			res.writeHead(404, { 'Content-Type': 'text/plain' });
			res.end('not found\n');
			return;
		}
		try {
			const data = typeof entry[0] === 'function' ? await entry[0]() :
				await readFile(path.join(PAGE_DIR, entry[0]));
			res.writeHead(200, { 'Content-Type': entry[1], 'Cache-Control': 'no-store' });
			res.end(data);
		} catch (e) {
			res.writeHead(500, { 'Content-Type': 'text/plain' });
			res.end(`${e.message}\n`);
		}
	});
	return new Promise((resolve, reject) => {
		server.once('error', (e) =>
			reject(new Failure(`page server on 127.0.0.1:${port}: ${e.code || e.message}`)));
		server.listen(Number(port), '127.0.0.1', () => resolve(server));
	});
}

function closeServer(server) {
	return new Promise((resolve) => {
		server.closeAllConnections?.();
		server.close(() => resolve());
	});
}

// ---------------------------------------------------------------------------
// Chromium.

async function launch() {
	try {
		// A fresh temporary profile (--user-data-dir) comes with launch().
		return await chromium.launch({
			executablePath: CHROMIUM,
			headless: true,
			timeout: 20000,
			args: [
				'--no-sandbox',
				'--disable-gpu',
				'--disable-quic',
				'--no-first-run',
				'--disable-background-networking',
				'--disable-component-update',
				'--disable-sync',
			],
		});
	} catch (e) {
		fail(`cannot start ${CHROMIUM} (apt-get install chromium): ${e.message.split('\n')[0]}`);
	}
	return null;
}

// Records what the page did, for the diagnostics of a failure. Requests are
// only watched, never intercepted: Playwright's interception answers CORS
// preflights itself, which would hide the API's own answers.
function watch(page, record) {
	page.on('console', (m) => record.console.push(`${m.type()}: ${m.text()}`));
	page.on('pageerror', (e) => record.console.push(`pageerror: ${e.message}`));
	page.on('request', (r) => record.requests.push(`${r.method()} ${r.url()}`));
	page.on('requestfailed', (r) =>
		record.requests.push(`FAILED ${r.method()} ${r.url()}: ${r.failure()?.errorText}`));
	page.on('response', (r) => record.requests.push(`${r.status()} ${r.request().method()} ${r.url()}`));
}

// Waits until #status reports STEP finished (ok or error); returns its state.
async function stepResult(page, step) {
	try {
		await page.waitForFunction(
			(s) => {
				const el = document.getElementById('status');
				return el.dataset.step === s && (el.dataset.state === 'ok' || el.dataset.state === 'error');
			},
			step,
			{ timeout: STEP_MS },
		);
	} catch {
		fail(`step ${step}: no outcome on the page after ${STEP_MS} ms (status: ` +
			`${JSON.stringify(await statusOf(page))})`);
	}
	return statusOf(page);
}

function statusOf(page) {
	return page.$eval('#status', (el) => ({
		step: el.dataset.step || '',
		state: el.dataset.state || '',
		error: el.dataset.error || '',
		text: el.textContent,
	}));
}

async function expectOk(page, step) {
	const s = await stepResult(page, step);
	if (s.state !== 'ok') fail(`step ${step} failed in the page: ${s.text}`);
	log(`ok: ${step}: ${s.text}`);
	return s;
}

function profileShown(page) {
	return page.evaluate(() => ({
		hidden: document.getElementById('profile').hidden,
		name: document.getElementById('profile-name').textContent,
		email: document.getElementById('profile-email').textContent,
		verified: document.getElementById('profile-verified').textContent,
	}));
}

// The code in the sink's newest mail to EMAIL, once there are at least N
// mails to it (default 1), by the shell helpers the other tests use.
function mailedOtp(email, n = 1) {
	const r = spawnSync(
		'bash',
		['-c', 'source "$1/tests/cgi/helpers.bash" && mail_wait "$2" "$3" && mail_otp "$2"', 'otp', ROOT,
			email, String(n)],
		{ encoding: 'utf8', timeout: STEP_MS + 5000 },
	);
	const otp = (r.stdout || '').trim();
	if (r.status !== 0 || !/^\d{6}$/.test(otp)) {
		fail(`no OTP mailed to ${email}: ${(r.stderr || r.error?.message || '').trim()}`);
	}
	return otp;
}

// TOTP (RFC 6238) computed here, independently of the API: HOTP (RFC 4226,
// HMAC-SHA-1, dynamic truncation, 6 digits) of the 30 s step of now plus
// OFFSET steps, with the base32 SECRET as the key.
function hotp(key, counter) {
	const msg = Buffer.alloc(8);
	msg.writeBigUInt64BE(BigInt(counter));
	const d = createHmac('sha1', key).update(msg).digest();
	const o = d[d.length - 1] & 15;
	return String((d.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, '0');
}

function base32Decode(text) {
	const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
	let bits = '';
	for (const ch of text.replace(/=+$/, '')) {
		const v = alphabet.indexOf(ch.toUpperCase());
		if (v < 0) fail(`not base32: ${JSON.stringify(text)}`);
		bits += v.toString(2).padStart(5, '0');
	}
	const bytes = [];
	for (let i = 0; i + 8 <= bits.length; i += 8) bytes.push(parseInt(bits.slice(i, i + 8), 2));
	return Buffer.from(bytes);
}

function totp(secret, offset = 0) {
	return hotp(base32Decode(secret), Math.floor(Date.now() / 30000) + offset);
}

// RFC 4226, appendix D: the HOTP values of the key "12345678901234567890".
function checkHotp() {
	const key = Buffer.from('12345678901234567890');
	const want = ['755224', '287082', '359152', '969429', '338314'];
	want.forEach((w, i) => {
		if (hotp(key, i) !== w) fail(`HOTP of RFC 4226 counter ${i}: ${hotp(key, i)}, want ${w}`);
	});
}

// ---------------------------------------------------------------------------
// The checks.

async function openPage(ctx, opts) {
	const origin = `http://127.0.0.1:${opts.port}`;
	ctx.record.origin = origin;
	ctx.server = await servePage(opts.port);
	ctx.browser = await launch();
	const page = await ctx.browser.newPage();
	page.setDefaultTimeout(STEP_MS);
	watch(page, ctx.record);
	const url = `${origin}/?api=${encodeURIComponent(opts.api)}`;
	const res = await page.goto(url, { timeout: STEP_MS });
	if (!res || res.status() !== 200) fail(`${url}: ${res ? res.status() : 'no response'}`);
	return page;
}

async function allowed(ctx, opts) {
	need(opts, 'api', 'port', 'name', 'email', 'password');
	const page = await openPage(ctx, opts);
	log(`page on ${ctx.record.origin}, API ${opts.api}`);

	await page.fill('#full-name', opts.name);
	await page.fill('#email', opts.email);
	await page.fill('#password', opts.password);
	await page.click('#signup');
	await expectOk(page, 'signup');

	await page.fill('#otp', mailedOtp(opts.email));
	await page.click('#verify');
	await expectOk(page, 'verify');

	await page.click('#login');
	await expectOk(page, 'login');

	await checkProfile(page, opts);

	// A refused token's 401, read from another origin: the cue to refresh.
	const invalid = 'Bearer error="invalid_token"';
	if (opts['expired-token']) {
		await checkToken(page, 'expired token', opts['expired-token'], 401, invalid, 'yes');
	}
	await checkToken(page, 'malformed token', 'not-a-jwt', 401, invalid, 'yes');
	await checkToken(page, 'no token', '', 401, 'Bearer', 'no');

	// Sessions (docs/CONTRACT.md SE-6, SE-8, SE-10): refresh, list, log out everywhere.
	await page.click('#refresh');
	await expectOk(page, 'refresh');
	const n = await page.$eval('#status', (el) => el.dataset.sessions);
	if (n !== '2') fail(`sessions listed: ${n}, want 2 (verify-otp's and login's)`);
	await page.click('#logout');
	await expectOk(page, 'logout');

	// Account self-service (docs/CONTRACT.md AS-4, AS-7): delete the account.
	await page.click('#login');
	await expectOk(page, 'login');
	await page.fill('#delete-password', opts.password);
	await page.click('#delete');
	await expectOk(page, 'delete');
}

// Loads the profile in the page with TOKEN ('' for none); checks the status
// and the WWW-Authenticate the page could read (cross-origin).
async function checkToken(page, what, token, wantStatus, wantHeader, wantRefresh) {
	await page.fill('#token', token);
	await page.click('#check-token');
	const s = await expectOk(page, 'token');
	const got = await page.$eval('#status', (el) => ({
		status: el.dataset.httpStatus,
		header: el.dataset.wwwAuthenticate,
		refresh: el.dataset.refresh,
	}));
	if (got.status !== String(wantStatus) || got.header !== wantHeader || got.refresh !== wantRefresh) {
		fail(`${what}: the page saw ${JSON.stringify(got)}, want status ${wantStatus}, ` +
			`WWW-Authenticate ${JSON.stringify(wantHeader)}, refresh ${wantRefresh} (${s.text})`);
	}
	log(`ok: ${what}: the page read WWW-Authenticate: ${got.header}`);
}

async function checkProfile(page, opts) {
	const p = await profileShown(page);
	const want = { hidden: false, name: opts.name, email: opts.email.trim().toLowerCase(), verified: 'yes' };
	for (const k of Object.keys(want)) {
		if (p[k] !== want[k]) {
			fail(`profile shown: ${k} is ${JSON.stringify(p[k])}, want ${JSON.stringify(want[k])}`);
		}
	}
	log(`ok: profile shown: ${p.name} <${p.email}>, verified ${p.verified}`);
}

// The QR code on the canvas #mfa-qr is the one of URI: every module of
// qrcode's matrix for URI (computed here, in node) is dark at its centre on
// the canvas, and every other one light (the page draws with qrcode's
// defaults: a margin of 4 modules, black on white).
async function checkQr(page, uri) {
	const img = await page.$eval('#mfa-qr', (c) => {
		const r = c.getBoundingClientRect();
		const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		const dark = [];
		for (let i = 0; i < d.length; i += 4) dark.push(d[i] + d[i + 1] + d[i + 2] < 384 ? 1 : 0);
		return { width: c.width, height: c.height, shown: r.width > 0 && r.height > 0, dark };
	});
	if (!img.shown) fail('the QR code canvas is not shown');
	const m = QRCode.create(uri).modules;
	const margin = 4;
	const scale = img.width / (m.size + 2 * margin);
	if (img.width !== img.height || !Number.isInteger(scale) || scale < 1) {
		fail(`QR canvas ${img.width}x${img.height} for ${m.size} modules`);
	}
	let wrong = 0;
	for (let row = -margin; row < m.size + margin; row++) {
		for (let col = -margin; col < m.size + margin; col++) {
			const inside = row >= 0 && col >= 0 && row < m.size && col < m.size;
			const want = inside && m.get(row, col) ? 1 : 0;
			const y = Math.floor((row + margin + 0.5) * scale);
			const x = Math.floor((col + margin + 0.5) * scale);
			if (img.dark[y * img.width + x] !== want) wrong++;
		}
	}
	if (wrong > 0) fail(`the QR code on the page is not the one of ${uri}: ${wrong} modules differ`);
	log(`ok: the page shows the QR code of ${uri} (${m.size}x${m.size} modules, ${img.width} px)`);
}

// Two-factor sign-in: turn it on from the QR code, then sign in with a TOTP
// code and again with a recovery code.
async function mfa(ctx, opts) {
	need(opts, 'api', 'port', 'name', 'email', 'password', 'issuer');
	checkHotp();
	const email = opts.email.trim().toLowerCase();
	const page = await openPage(ctx, opts);
	log(`page on ${ctx.record.origin}, API ${opts.api}`);

	await page.fill('#full-name', opts.name);
	await page.fill('#email', opts.email);
	await page.fill('#password', opts.password);
	await page.click('#signup');
	await expectOk(page, 'signup');
	await page.fill('#otp', mailedOtp(opts.email));
	await page.click('#verify');
	await expectOk(page, 'verify');

	// Setup: the QR code of the contract's otpauth URI (docs/CONTRACT.md MF-1).
	await page.fill('#mfa-password', opts.password);
	await page.click('#mfa-setup');
	await expectOk(page, 'mfa-setup');
	const secret = await page.textContent('#mfa-secret');
	if (!/^[A-Z2-7]{32}$/.test(secret)) fail(`secret shown: ${JSON.stringify(secret)}`);
	const uri = `otpauth://totp/${opts.issuer}:${email}?secret=${secret}&issuer=${opts.issuer}` +
		'&algorithm=SHA1&digits=6&period=30';
	const shownUri = await page.$eval('#mfa-qr', (c) => c.dataset.uri);
	if (shownUri !== uri) fail(`otpauth_uri: ${JSON.stringify(shownUri)}, want ${JSON.stringify(uri)}`);
	await checkQr(page, uri);

	// Enable with a code of now and setup's mail, the second to the address (MF-2, MF-7).
	await page.fill('#mfa-code', totp(secret));
	await page.fill('#mfa-email-code', mailedOtp(opts.email, 2));
	await page.click('#mfa-enable');
	await expectOk(page, 'mfa-enable');
	const codes = await page.$$eval('#mfa-recovery li', (els) => els.map((e) => e.textContent));
	if (codes.length !== 10 || new Set(codes).size !== 10 || !codes.every((c) => /^[a-z2-7]{5}-[a-z2-7]{5}$/.test(c))) {
		fail(`recovery codes shown: ${JSON.stringify(codes)}`);
	}
	log(`ok: ${codes.length} recovery codes shown`);

	// Login: mfa_required, no profile yet (MF-8); verify with a code of the
	// next step, later than the one enable accepted (MF-10, MF-11).
	await page.click('#login');
	await expectOk(page, 'login');
	await expectMfaRequired(page);
	await page.fill('#mfa-verify-code', totp(secret, 1));
	await page.click('#mfa-verify');
	await expectOk(page, 'mfa-verify');
	await checkProfile(page, opts);

	// Again, with a recovery code as the user types it (upper case, MF-10).
	await page.click('#login');
	await expectOk(page, 'login');
	await expectMfaRequired(page);
	await page.fill('#mfa-verify-code', codes[0].toUpperCase());
	await page.click('#mfa-verify');
	await expectOk(page, 'mfa-verify');
	await checkProfile(page, opts);
}

async function expectMfaRequired(page) {
	const s = await page.evaluate(() => ({
		mfa: document.getElementById('status').dataset.mfa,
		form: !document.getElementById('mfa-verify-form').hidden,
	}));
	if (s.mfa !== 'required' || !s.form) fail(`after login: ${JSON.stringify(s)}, want mfa_required and its form`);
	log('ok: login asked for the second factor');
}

async function expectCorsFailure(page, step) {
	const s = await stepResult(page, step);
	if (s.state !== 'error' || s.error !== 'network' || !s.text.includes('TypeError')) {
		fail(`step ${step} from a refused origin: want a TypeError from fetch, got ` +
			`${s.state}: ${s.text}`);
	}
	log(`ok: ${step} refused by the browser: ${s.text}`);
}

async function refused(ctx, opts) {
	need(opts, 'api', 'port', 'email', 'password', 'login-email');
	const page = await openPage(ctx, opts);
	log(`page on ${ctx.record.origin} (not allowed), API ${opts.api}`);

	await page.fill('#full-name', 'Refused Origin');
	await page.fill('#email', opts.email);
	await page.fill('#password', opts.password);
	await page.click('#signup');
	await expectCorsFailure(page, 'signup');

	await page.fill('#login-email', opts['login-email']);
	await page.fill('#login-password', opts.password);
	await page.click('#login');
	await expectCorsFailure(page, 'login');

	const p = await profileShown(page);
	if (!p.hidden || p.name !== '' || p.email !== '') {
		fail(`a profile is shown from a refused origin: ${JSON.stringify(p)}`);
	}
	log('ok: no profile shown');
}

async function docs(ctx, opts) {
	need(opts, 'api');
	const api = new URL(opts.api).origin;
	let res;
	try {
		res = await fetch(`${api}/openapi.json`, { signal: AbortSignal.timeout(STEP_MS) });
	} catch (e) {
		fail(`GET ${api}/openapi.json: ${e.cause?.code || e.message}`);
	}
	if (res.status !== 200) fail(`GET ${api}/openapi.json: ${res.status}`);
	const doc = await res.json();
	const paths = Object.keys(doc.paths || {});
	for (const must of ['/auth/signup', '/user/profile']) {
		if (!paths.includes(must)) fail(`/openapi.json has no ${must}`);
	}

	ctx.browser = await launch();
	const page = await ctx.browser.newPage();
	page.setDefaultTimeout(STEP_MS);
	watch(page, ctx.record);
	const r = await page.goto(`${api}/docs`, { timeout: STEP_MS });
	if (!r || r.status() !== 200) fail(`GET ${api}/docs: ${r ? r.status() : 'no response'}`);

	// Swagger UI: one .opblock per operation, its path in
	// .opblock-summary-path[data-path].
	const sel = (p) => `.opblock .opblock-summary-path[data-path="${p}"]`;
	for (const p of ['/auth/signup', '/user/profile', ...paths]) {
		try {
			await page.waitForSelector(sel(p), { timeout: STEP_MS });
		} catch {
			const shown = await page.$$eval('.opblock-summary-path', (els) =>
				els.map((e) => e.getAttribute('data-path')));
			fail(`/docs lists no operation for ${p} (listed: ${JSON.stringify(shown)})`);
		}
	}
	const shown = await page.$$eval('.opblock-summary-path', (els) =>
		[...new Set(els.map((e) => e.getAttribute('data-path')))]);
	log(`ok: /docs lists ${shown.length} paths: ${shown.join(' ')}`);

	const foreign = ctx.record.requests.filter((l) => {
		const u = l.split(' ').find((w) => /^[a-z]+:/.test(w));
		return u && !u.startsWith(`${api}/`) && !u.startsWith('data:');
	});
	if (foreign.length > 0) fail(`/docs loaded from other origins: ${foreign.join('; ')}`);
	log('ok: /docs loaded nothing from another origin');
}

// ---------------------------------------------------------------------------

async function main() {
	const ctx = { server: null, browser: null, record: { console: [], requests: [], origin: '' } };
	let rc = 0;
	const timer = setTimeout(() => {
		log(`FAIL: gave up after ${TOTAL_MS} ms`);
		process.exit(1);
	}, TOTAL_MS);
	try {
		const { mode, opts } = parseArgs(process.argv.slice(2));
		const checks = { allowed, refused, mfa, docs };
		if (!checks[mode]) fail(`usage: browser-test.mjs allowed|refused|mfa|docs --api URL ... (got '${mode}')`);
		await checks[mode](ctx, opts);
	} catch (e) {
		rc = 1;
		log(`FAIL: ${e instanceof Failure ? e.message : e.stack || e}`);
		if (ctx.record.console.length) log(`page console:\n  ${ctx.record.console.join('\n  ')}`);
		if (ctx.record.requests.length) log(`page requests:\n  ${ctx.record.requests.join('\n  ')}`);
	} finally {
		if (ctx.browser) await ctx.browser.close().catch(() => {});
		if (ctx.server) await closeServer(ctx.server);
		clearTimeout(timer);
	}
	process.exitCode = rc;
}

await main();

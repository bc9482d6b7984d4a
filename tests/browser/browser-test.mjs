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
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

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

const PAGE_FILES = {
	'/': ['index.html', 'text/html; charset=utf-8'],
	'/index.html': ['index.html', 'text/html; charset=utf-8'],
	'/app.js': ['app.js', 'text/javascript; charset=utf-8'],
};

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
			const data = await readFile(path.join(PAGE_DIR, entry[0]));
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

// The OTP from the sink's newest mail to EMAIL, by the shell helpers the
// other tests use.
function mailedOtp(email) {
	const r = spawnSync(
		'bash',
		['-c', 'source "$1/tests/cgi/helpers.bash" && mail_wait "$2" && mail_otp "$2"', 'otp', ROOT, email],
		{ encoding: 'utf8', timeout: STEP_MS + 5000 },
	);
	const otp = (r.stdout || '').trim();
	if (r.status !== 0 || !/^\d{6}$/.test(otp)) {
		fail(`no OTP mailed to ${email}: ${(r.stderr || r.error?.message || '').trim()}`);
	}
	return otp;
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

	const p = await profileShown(page);
	const want = { hidden: false, name: opts.name, email: opts.email.trim().toLowerCase(), verified: 'yes' };
	for (const k of Object.keys(want)) {
		if (p[k] !== want[k]) {
			fail(`profile shown: ${k} is ${JSON.stringify(p[k])}, want ${JSON.stringify(want[k])}`);
		}
	}
	log(`ok: profile shown: ${p.name} <${p.email}>, verified ${p.verified}`);

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
		const checks = { allowed, refused, docs };
		if (!checks[mode]) fail(`usage: browser-test.mjs allowed|refused|docs --api URL ... (got '${mode}')`);
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

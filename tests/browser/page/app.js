// The frontend's calls to the API, as the README shows them: plain fetch,
// JSON bodies, the access token sent as "Authorization: Bearer <token>".
// Every step writes its outcome into #status (data-state "ok" or "error",
// data-step the step's name); the profile is rendered into #profile. The
// "token" step loads the profile with the token typed in #token and reports
// the 401's WWW-Authenticate, which a frontend on another origin can read
// only because the API lists it in Access-Control-Expose-Headers: on
// error="invalid_token" a frontend refreshes or signs in again.
'use strict';

const API = new URLSearchParams(location.search).get('api') || 'http://localhost:8000';

async function signup(fullName, email, password) {
	const res = await fetch(`${API}/auth/signup`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ full_name: fullName, email, password }),
	});
	return { status: res.status, body: await res.json() };
}

async function verifyOtp(email, otp) {
	const res = await fetch(`${API}/auth/verify-otp`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ email, otp }),
	});
	return { status: res.status, body: await res.json() };
}

async function login(email, password) {
	const res = await fetch(`${API}/auth/login`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ email, password }),
	});
	return { status: res.status, body: await res.json() };
}

// token null: no Authorization header at all.
async function getProfile(token) {
	const res = await fetch(`${API}/user/profile`, {
		headers: token === null ? {} : { Authorization: `Bearer ${token}` },
	});
	return {
		status: res.status,
		body: await res.json(),
		// null when the browser hides it (not exposed to this origin).
		wwwAuthenticate: res.headers.get('WWW-Authenticate'),
	};
}

// The session calls (README, "Staying signed in"): refresh rotates the
// refresh token; logout needs no body (fetch sends a zero-length one).
async function refresh(refreshToken) {
	const res = await fetch(`${API}/auth/refresh`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ refresh_token: refreshToken }),
	});
	return { status: res.status, body: await res.json() };
}

async function listSessions(token) {
	const res = await fetch(`${API}/user/sessions`, { headers: { Authorization: `Bearer ${token}` } });
	return { status: res.status, body: await res.json() };
}

async function logoutEverywhere(token) {
	const res = await fetch(`${API}/auth/logout`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
		body: JSON.stringify({ everywhere: true }),
	});
	return { status: res.status, body: await res.json() };
}

// Account deletion asks for the password again (README, "Account self-service").
async function deleteAccount(token, password) {
	const res = await fetch(`${API}/user/delete-account`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
		body: JSON.stringify({ password }),
	});
	return { status: res.status, body: await res.json() };
}

// Two-factor sign-in (README, "From the frontend", Two-factor sign-in):
// setup answers the secret and its otpauth URI (shown as a QR code), enable
// takes a code of the app and the mailed one and answers the recovery codes.
async function mfaSetup(token, password) {
	const res = await fetch(`${API}/user/mfa/setup`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
		body: JSON.stringify({ password }),
	});
	return { status: res.status, body: await res.json() };
}

async function mfaEnable(token, code, emailCode) {
	const res = await fetch(`${API}/user/mfa/enable`, {
		method: 'POST',
		headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
		body: JSON.stringify({ code, email_code: emailCode }),
	});
	return { status: res.status, body: await res.json() };
}

// The second step of a sign-in: login's mfa_token and a code of the app (or
// a recovery code); answers the token answer, as login does without it.
async function mfaVerify(mfaToken, code) {
	const res = await fetch(`${API}/auth/mfa/verify`, {
		method: 'POST',
		headers: { 'Content-Type': 'application/json' },
		body: JSON.stringify({ mfa_token: mfaToken, code }),
	});
	return { status: res.status, body: await res.json() };
}

// RFC 6750, 3: the token was refused (bad, expired, revoked), as opposed to
// no credentials at all: the cue to refresh.
function tokenRefused(wwwAuthenticate) {
	return /^Bearer\b.*\berror="invalid_token"/.test(wwwAuthenticate || '');
}

// ---------------------------------------------------------------------------
// The page around them.

const $ = (id) => document.getElementById(id);
let accessToken = null;
let refreshToken = null;
// login's mfa_token: kept in memory only, until mfa/verify spends it.
let mfaToken = null;

function show(step, state, text) {
	const s = $('status');
	s.dataset.step = step;
	s.dataset.state = state;
	s.textContent = text;
}

function detail(body) {
	if (body && typeof body.detail === 'string') return body.detail;
	return JSON.stringify(body);
}

// Runs one step; a fetch that rejects (the browser refused the response,
// e.g. on CORS, or the server is unreachable) is a TypeError.
async function step(name, run) {
	show(name, 'busy', `${name}...`);
	try {
		await run();
	} catch (e) {
		const kind = e instanceof TypeError ? 'network' : 'other';
		$('status').dataset.error = kind;
		show(name, 'error', `${name} failed: ${e.name}: ${e.message}`);
	}
}

function renderProfile(p) {
	$('profile-name').textContent = p.full_name;
	$('profile-email').textContent = p.email;
	$('profile-verified').textContent = p.is_verified ? 'yes' : 'no';
	$('profile').hidden = false;
}

async function loadProfile(name) {
	const r = await getProfile(accessToken);
	if (r.status !== 200) {
		show(name, 'error', `profile: ${r.status} ${detail(r.body)}`);
		return;
	}
	renderProfile(r.body);
	show(name, 'ok', `signed in as ${r.body.email}`);
}

$('signup-form').addEventListener('submit', (ev) => {
	ev.preventDefault();
	step('signup', async () => {
		const email = $('email').value;
		const r = await signup($('full-name').value, email, $('password').value);
		if (r.status !== 201) {
			show('signup', 'error', `signup: ${r.status} ${detail(r.body)}`);
			return;
		}
		$('login-email').value = email;
		$('login-password').value = $('password').value;
		show('signup', 'ok', r.body.message);
	});
});

$('verify-form').addEventListener('submit', (ev) => {
	ev.preventDefault();
	step('verify', async () => {
		const r = await verifyOtp($('email').value, $('otp').value);
		if (r.status !== 200) {
			show('verify', 'error', `verify: ${r.status} ${detail(r.body)}`);
			return;
		}
		accessToken = r.body.access_token;
		show('verify', 'ok', 'email verified');
	});
});

$('token-form').addEventListener('submit', (ev) => {
	ev.preventDefault();
	step('token', async () => {
		const t = $('token').value;
		const r = await getProfile(t === '' ? null : t);
		const s = $('status');
		s.dataset.httpStatus = String(r.status);
		s.dataset.wwwAuthenticate = r.wwwAuthenticate === null ? '(hidden)' : r.wwwAuthenticate;
		s.dataset.refresh = tokenRefused(r.wwwAuthenticate) ? 'yes' : 'no';
		show('token', 'ok', `profile: ${r.status} ${detail(r.body)}; WWW-Authenticate: ` +
			`${s.dataset.wwwAuthenticate}; refresh: ${s.dataset.refresh}`);
	});
});

$('login-form').addEventListener('submit', (ev) => {
	ev.preventDefault();
	step('login', async () => {
		const r = await login($('login-email').value, $('login-password').value);
		if (r.status !== 200) {
			show('login', 'error', `login: ${r.status} ${detail(r.body)}`);
			return;
		}
		$('status').dataset.mfa = r.body.mfa_required === true ? 'required' : 'no';
		if (r.body.mfa_required === true) {
			mfaToken = r.body.mfa_token;
			$('mfa-verify-form').hidden = false;
			show('login', 'ok', `two-factor code needed (within ${r.body.expires_in} s)`);
			return;
		}
		accessToken = r.body.access_token;
		refreshToken = r.body.refresh_token;
		await loadProfile('login');
	});
});

// Refresh, then list the sessions with the new access token; the count
// goes to #status's data-sessions.
$('refresh').addEventListener('click', () => {
	step('refresh', async () => {
		const r = await refresh(refreshToken);
		if (r.status !== 200 || r.body.refresh_token === refreshToken) {
			show('refresh', 'error', `refresh: ${r.status} ${detail(r.body)}`);
			return;
		}
		accessToken = r.body.access_token;
		refreshToken = r.body.refresh_token;
		const l = await listSessions(accessToken);
		if (l.status !== 200) {
			show('refresh', 'error', `sessions: ${l.status} ${detail(l.body)}`);
			return;
		}
		$('status').dataset.sessions = String(l.body.sessions.length);
		const current = l.body.sessions.filter((x) => x.current).length;
		show('refresh', 'ok', `refreshed; ${l.body.sessions.length} session(s), ${current} current`);
	});
});

// Logs out everywhere, then checks that the access token and the refresh
// token are both refused.
$('logout').addEventListener('click', () => {
	step('logout', async () => {
		const r = await logoutEverywhere(accessToken);
		if (r.status !== 200) {
			show('logout', 'error', `logout: ${r.status} ${detail(r.body)}`);
			return;
		}
		const p = await getProfile(accessToken);
		const f = await refresh(refreshToken);
		if (p.status !== 401 || !tokenRefused(p.wwwAuthenticate) || f.status !== 401) {
			show('logout', 'error', `after logout: profile ${p.status}, refresh ${f.status}`);
			return;
		}
		accessToken = null;
		refreshToken = null;
		show('logout', 'ok', `${r.body.message}; profile and refresh now 401`);
	});
});

// Deletes the signed-in account with the password typed again, then checks
// that its access token and its password are both refused.
$('delete').addEventListener('click', () => {
	step('delete', async () => {
		const r = await deleteAccount(accessToken, $('delete-password').value);
		if (r.status !== 200) {
			show('delete', 'error', `delete: ${r.status} ${detail(r.body)}`);
			return;
		}
		const p = await getProfile(accessToken);
		const l = await login($('login-email').value, $('delete-password').value);
		if (p.status !== 401 || l.status !== 401) {
			show('delete', 'error', `after deletion: profile ${p.status}, login ${l.status}`);
			return;
		}
		accessToken = null;
		refreshToken = null;
		$('profile').hidden = true;
		show('delete', 'ok', `${r.body.message}; profile and login now 401`);
	});
});

// Setup: the otpauth URI drawn as a QR code on the canvas (qrcode's defaults)
// and the key for typing it in; the URI is also kept in the canvas's
// data-uri for the test.
$('mfa-setup').addEventListener('click', () => {
	step('mfa-setup', async () => {
		const r = await mfaSetup(accessToken, $('mfa-password').value);
		if (r.status !== 200) {
			show('mfa-setup', 'error', `mfa setup: ${r.status} ${detail(r.body)}`);
			return;
		}
		const canvas = $('mfa-qr');
		await QRCode.toCanvas(canvas, r.body.otpauth_uri);
		canvas.dataset.uri = r.body.otpauth_uri;
		$('mfa-secret').textContent = r.body.secret;
		$('mfa-qr-box').hidden = false;
		show('mfa-setup', 'ok', 'scan the QR code, then type a code of the app and the mailed one');
	});
});

// Enable: the recovery codes are shown this once.
$('mfa-enable').addEventListener('click', () => {
	step('mfa-enable', async () => {
		const r = await mfaEnable(accessToken, $('mfa-code').value, $('mfa-email-code').value);
		if (r.status !== 200) {
			show('mfa-enable', 'error', `mfa enable: ${r.status} ${detail(r.body)}`);
			return;
		}
		$('mfa-recovery').replaceChildren(...r.body.recovery_codes.map((c) => {
			const li = document.createElement('li');
			li.textContent = c;
			return li;
		}));
		$('mfa-recovery-box').hidden = false;
		$('mfa-qr-box').hidden = true;
		show('mfa-enable', 'ok', `two-factor sign-in on; ${r.body.recovery_codes.length} recovery codes`);
	});
});

// The second step of a sign-in: the token answer, then the profile.
$('mfa-verify-form').addEventListener('submit', (ev) => {
	ev.preventDefault();
	step('mfa-verify', async () => {
		const r = await mfaVerify(mfaToken, $('mfa-verify-code').value);
		if (r.status !== 200) {
			show('mfa-verify', 'error', `mfa verify: ${r.status} ${detail(r.body)}`);
			return;
		}
		mfaToken = null;
		$('mfa-verify-form').hidden = true;
		accessToken = r.body.access_token;
		refreshToken = r.body.refresh_token;
		await loadProfile('mfa-verify');
	});
});

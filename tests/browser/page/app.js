// The frontend's calls to the API, as the README shows them: plain fetch,
// JSON bodies, the access token sent as "Authorization: Bearer <token>".
// Every step writes its outcome into #status (data-state "ok" or "error",
// data-step the step's name); the profile is rendered into #profile.
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

async function getProfile(token) {
	const res = await fetch(`${API}/user/profile`, {
		headers: { Authorization: `Bearer ${token}` },
	});
	return { status: res.status, body: await res.json() };
}

// ---------------------------------------------------------------------------
// The page around them.

const $ = (id) => document.getElementById(id);
let accessToken = null;

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

$('login-form').addEventListener('submit', (ev) => {
	ev.preventDefault();
	step('login', async () => {
		const r = await login($('login-email').value, $('login-password').value);
		if (r.status !== 200) {
			show('login', 'error', `login: ${r.status} ${detail(r.body)}`);
			return;
		}
		accessToken = r.body.access_token;
		await loadProfile('login');
	});
});

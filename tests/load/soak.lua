-- wrk script (wrk 4.1, LuaJIT) of tests/http/soak.bats: a fixed number of
-- mixed requests to every program, each request of a kind whose answer is
-- known, for one phase of the soak.
--
--   SOAK_OUT=DIR SOAK_QUOTA=1250 SOAK_ACCOUNTS=FILE SOAK_TAG=p1 \
--       wrk -t 2 -c 16 -d 120s --timeout 30s -s tests/load/soak.lua http://127.0.0.1:PORT
--
-- Settings (environment):
--   SOAK_OUT       directory done() and the quiet files go to (required)
--   SOAK_QUOTA     requests each thread sends, then none (required)
--   SOAK_ACCOUNTS  verified accounts, "email token" a line (required)
--   SOAK_PASSWORD  their password (default StrongPass123)
--   SOAK_TAG       word in this phase's new addresses (default "soak")
--   SOAK_OFFSET    where in the rotation each thread starts (default 0), so
--                  that phase after phase the mix goes on where it stopped
--
-- Each thread sends its quota in a fixed rotation of 200 kinds (weights
-- below: per 200 requests, 60 to profile.cgi, 28 to login.cgi, 24 to
-- signup.cgi, 20 each to verify-otp.cgi, reset-password.cgi and health.cgi,
-- 16 to openapi.cgi, 4 each to mfa-enable.cgi and mfa-verify.cgi, 2 to
-- mfa-setup.cgi, 1 each to resend-otp.cgi and forgot-password.cgi, whose
-- answers take 100 ms), then goes quiet: once
-- every request it sent has its answer it writes SOAK_OUT/quiet.ID, and the
-- runner stops wrk (SIGINT). done() writes SOAK_OUT/soak.json: requests,
-- socket errors, the statuses received, the statuses expected (from the
-- kinds sent) and up to 10 answers of a status no kind expects.

local threads = {}
local next_id = 0

function setup(thread)
	next_id = next_id + 1
	thread:set("id", next_id)
	table.insert(threads, thread)
end

local out = os.getenv("SOAK_OUT")
local quota = tonumber(os.getenv("SOAK_QUOTA") or "0")
local password = os.getenv("SOAK_PASSWORD") or "StrongPass123"
local tag = os.getenv("SOAK_TAG") or "soak"
local offset = tonumber(os.getenv("SOAK_OFFSET") or "0")
local json = { ["Content-Type"] = "application/json" }

-- kind = { weight, expected status }
local KINDS = {
	{ "profile_ok", 30, 200 }, { "profile_401", 12, 401 }, { "profile_bad_token", 10, 401 },
	{ "preflight", 4, 204 }, { "profile_put", 4, 405 },
	{ "login_ok", 16, 200 }, { "login_unknown", 8, 401 }, { "login_text", 4, 415 },
	{ "signup_new", 16, 201 }, { "signup_invalid", 4, 422 }, { "signup_existing", 4, 409 },
	{ "verify_unknown", 20, 400 }, { "reset_unknown", 20, 400 },
	{ "health", 20, 200 }, { "openapi", 16, 200 },
	{ "resend_unknown", 1, 200 }, { "forgot_unknown", 1, 200 },
	-- Two-factor sign-in, none of which changes anything: a setup body of the
	-- wrong type, an enable with no setup pending, an unknown mfa_token.
	{ "mfa_setup_invalid", 2, 422 }, { "mfa_enable_none", 4, 400 }, { "mfa_verify_unknown", 4, 401 },
}

local rotation = {}
local expect = {}
local emails, tokens = {}, {}
local sent, answered, due = 0, 0, 0
local quiet = false
local checked = false
soak_statuses = {}
soak_expected = {}
soak_odd = {}

function init(args)
	if not out or quota < 1 then
		error("soak.lua: SOAK_OUT and SOAK_QUOTA are required")
	end
	-- Interleaved, not in blocks: kind k's n-th slot at n * 200 / weight.
	local slots = {}
	for _, k in ipairs(KINDS) do
		expect[k[1]] = k[3]
		for n = 0, k[2] - 1 do
			table.insert(slots, { n * 200 / k[2] + #slots * 1e-6, k[1] })
		end
	end
	table.sort(slots, function(a, b)
		return a[1] < b[1]
	end)
	for _, s in ipairs(slots) do
		table.insert(rotation, s[2])
	end
	for line in io.lines(os.getenv("SOAK_ACCOUNTS")) do
		local e, t = string.match(line, "^(%S+)%s+(%S+)$")
		if e then
			table.insert(emails, e)
			table.insert(tokens, t)
		end
	end
	if #emails == 0 then
		error("soak.lua: no accounts in SOAK_ACCOUNTS")
	end
end

local function post(path, body, headers)
	return wrk.format("POST", path, headers or json, body)
end

local function make(kind, n)
	local id = wrk.thread:get("id")
	local acct = (n - 1) % #emails + 1
	local nobody = string.format("nobody-%s-t%d-%d@example.com", tag, id, n)
	if kind == "profile_ok" then
		return wrk.format("GET", "/user/profile", { ["Authorization"] = "Bearer " .. tokens[acct] })
	elseif kind == "profile_401" then
		return wrk.format("GET", "/user/profile")
	elseif kind == "profile_bad_token" then
		return wrk.format("GET", "/user/profile", { ["Authorization"] = "Bearer not.a.token" })
	elseif kind == "preflight" then
		return wrk.format("OPTIONS", "/user/profile", {
			["Origin"] = "http://localhost:3000",
			["Access-Control-Request-Method"] = "GET",
		})
	elseif kind == "profile_put" then
		return wrk.format("PUT", "/user/profile", json, "{}")
	elseif kind == "login_ok" then
		return post("/auth/login", string.format('{"email":"%s","password":"%s"}', emails[acct], password))
	elseif kind == "login_unknown" then
		return post("/auth/login", string.format('{"email":"%s","password":"WrongPass123"}', nobody))
	elseif kind == "login_text" then
		return post("/auth/login", '{"email":"a@example.com","password":"x"}',
			{ ["Content-Type"] = "text/plain" })
	elseif kind == "signup_new" then
		return post("/auth/signup", string.format(
			'{"full_name":"Soak User","email":"new-%s-t%d-%d@example.com","password":"%s"}',
			tag, id, n, password))
	elseif kind == "signup_invalid" then
		return post("/auth/signup", '{"full_name":1}')
	elseif kind == "signup_existing" then
		return post("/auth/signup", string.format(
			'{"full_name":"Soak User","email":"%s","password":"%s"}', emails[acct], password))
	elseif kind == "verify_unknown" then
		return post("/auth/verify-otp", string.format('{"email":"%s","otp":"123456"}', nobody))
	elseif kind == "reset_unknown" then
		return post("/auth/reset-password", '{"token":"' .. string.rep("A", 43) ..
			'","new_password":"NewStrongPass456","confirm_password":"NewStrongPass456"}')
	elseif kind == "health" then
		return wrk.format("GET", "/health")
	elseif kind == "openapi" then
		return wrk.format("GET", "/openapi.json")
	elseif kind == "mfa_setup_invalid" then
		return post("/user/mfa/setup", '{"password":1}',
			{ ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[acct] })
	elseif kind == "mfa_enable_none" then
		return post("/user/mfa/enable", '{"code":"123456","email_code":"123456"}',
			{ ["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. tokens[acct] })
	elseif kind == "mfa_verify_unknown" then
		return post("/auth/mfa/verify", '{"mfa_token":"' .. string.rep("A", 43) .. '","code":"123456"}')
	elseif kind == "resend_unknown" then
		return post("/auth/resend-otp", string.format('{"email":"%s"}', nobody))
	end
	return post("/auth/forgot-password", string.format('{"email":"%s"}', nobody))
end

function request()
	-- wrk 4.1 calls request() once before the run, in the first thread's
	-- state, to check it: never sent, not counted.
	if not checked then
		checked = true
		if wrk.thread:get("id") == 1 then
			return wrk.format("GET", "/health")
		end
	end
	due = due - 1
	sent = sent + 1
	local kind = rotation[(offset + sent - 1) % #rotation + 1]
	local st = expect[kind]
	soak_expected[st] = (soak_expected[st] or 0) + 1
	return make(kind, sent)
end

local function check_quiet()
	if sent + due < quota then
		return false
	end
	if not quiet and answered == sent and due <= 0 then
		local f = io.open(out .. "/quiet." .. wrk.thread:get("id"), "w")
		if f then
			f:write(answered, "\n")
			f:close()
		end
		quiet = true
	end
	return true
end

function delay()
	if check_quiet() then
		return 3600 * 1000
	end
	due = due + 1
	return 0
end

function response(status, headers, body)
	answered = answered + 1
	soak_statuses[status] = (soak_statuses[status] or 0) + 1
	if (status >= 500 or status == 429 or status == 404) and #soak_odd < 10 then
		table.insert(soak_odd, status .. " " .. string.sub(body, 1, 160))
	end
	check_quiet()
end

local function obj(t)
	local parts = {}
	for k, v in pairs(t) do
		table.insert(parts, string.format('"%s":%d', tostring(k), v))
	end
	table.sort(parts)
	return "{" .. table.concat(parts, ",") .. "}"
end

function done(summary, latency, requests)
	local statuses, expected, odd = {}, {}, {}
	for _, t in ipairs(threads) do
		for k, v in pairs(t:get("soak_statuses") or {}) do
			statuses[k] = (statuses[k] or 0) + v
		end
		for k, v in pairs(t:get("soak_expected") or {}) do
			expected[k] = (expected[k] or 0) + v
		end
		for _, s in ipairs(t:get("soak_odd") or {}) do
			table.insert(odd, '"' .. string.gsub(s, '[%c"\\]', " ") .. '"')
		end
	end
	local e = summary.errors
	local f = assert(io.open(out .. "/soak.json", "w"))
	f:write(string.format('{"requests":%d,"socket_errors":%d,', summary.requests,
		e.connect + e.read + e.write + e.timeout))
	f:write('"statuses":' .. obj(statuses) .. ',"expected":' .. obj(expected) .. ",")
	f:write('"odd":[' .. table.concat(odd, ",") .. "]}\n")
	f:close()
end

-- wrk script (wrk 4.1, LuaJIT): a mix of login, profile and signup requests
-- against the MedicalCare API, for tests/load/run.sh and tests/http/load.bats.
--
--   wrk -t 2 -c 32 -d 15s --timeout 30s -s tests/load/mix.lua http://127.0.0.1:PORT
--
-- Settings come from the environment (wrk's init(args) reaches only the
-- worker threads, and done() runs in another Lua state):
--   MC_LOAD_OUT       directory done() writes into (required)
--   MC_LOAD_ACCOUNTS  number of verified accounts load-user-N@example.test,
--                     N = 1..MC_LOAD_ACCOUNTS, password MC_LOAD_PASSWORD
--                     (default StrongPass123), made before the run
--   MC_LOAD_TOKENS    file with one access token a line, line N for account N
--   MC_LOAD_TAG       word put in every signup address (default "run")
--   MC_LOAD_MIX       weights login:profile:signup (default 1:1:1)
--   MC_LOAD_IDLE_AT   Unix time (whole seconds) from which no new request is
--                     sent; 0: never. Then each thread writes quiet.ID into
--                     MC_LOAD_OUT once every request it sent has its answer,
--                     and the runner stops wrk with SIGINT (wrk's -d is only
--                     the upper bound), so that nothing is in flight at the end
--
-- Every thread sends its requests in a fixed rotation given by the weights;
-- signup addresses are load-TAG-tT-N@example.test (thread T, its N-th signup),
-- so no two requests share one. response() sorts each answer into its
-- endpoint's success (login 200 with an access_token, profile 200 with the
-- account, signup 201) or "unexpected", and counts statuses by class.
-- done() writes, in MC_LOAD_OUT:
--   counts.tsv          thread, key, value (sent_*, ok_*, unexpected, s2xx..)
--   signup-emails.txt   every signup address sent, one a line
--   unexpected.txt      up to 20 unexpected answers per thread (status, body)
--   wrk.json            duration, requests, bytes, socket errors, latency
--                       (wrk's histogram: min, mean, stdev, max, percentiles)

local threads = {}
local next_id = 0

function setup(thread)
	next_id = next_id + 1
	thread:set("id", next_id)
	table.insert(threads, thread)
end

local password = os.getenv("MC_LOAD_PASSWORD") or "StrongPass123"
local tag = os.getenv("MC_LOAD_TAG") or "run"
local accounts = tonumber(os.getenv("MC_LOAD_ACCOUNTS") or "0")
local idle_at = tonumber(os.getenv("MC_LOAD_IDLE_AT") or "0")
local json_headers = { ["Content-Type"] = "application/json" }

local tokens = {}
local rotation = {}
local seq = 0
local started = false
local answered = 0
local due = 0 -- requests delay() let through that request() has not made yet
local quiet_written = false
-- Globals of each thread's state, read by done() through thread:get.
load_emails = {}
load_unexpected = {}
load_counts = {
	sent_login = 0, sent_profile = 0, sent_signup = 0,
	ok_login = 0, ok_profile = 0, ok_signup = 0,
	unexpected = 0, s1xx = 0, s2xx = 0, s3xx = 0, s4xx = 0, s5xx = 0,
}

function init(args)
	local file = os.getenv("MC_LOAD_TOKENS")
	if file then
		for line in io.lines(file) do
			if line ~= "" then
				table.insert(tokens, line)
			end
		end
	end
	if accounts < 1 or #tokens < accounts then
		error("mix.lua: need MC_LOAD_ACCOUNTS >= 1 and as many tokens in MC_LOAD_TOKENS")
	end
	local names = { "login", "profile", "signup" }
	local i = 0
	for w in string.gmatch(os.getenv("MC_LOAD_MIX") or "1:1:1", "%d+") do
		i = i + 1
		for _ = 1, tonumber(w) do
			table.insert(rotation, names[i])
		end
	end
	if i ~= 3 or #rotation == 0 then
		error("mix.lua: MC_LOAD_MIX must be three weights, e.g. 1:1:1")
	end
end

local function profile_request(n)
	return wrk.format("GET", "/user/profile",
		{ ["Authorization"] = "Bearer " .. tokens[(n - 1) % accounts + 1] })
end

function request()
	-- wrk calls request() once in the first thread's state before the run,
	-- to check it (script_verify_request), and sends nothing then. That
	-- call comes before any delay(): in the run, wrk asks delay() before
	-- every request. It is not counted.
	if not started then
		return profile_request(1)
	end
	due = due - 1
	seq = seq + 1
	local kind = rotation[(seq - 1) % #rotation + 1]
	local n = seq + wrk.thread:get("id")
	load_counts["sent_" .. kind] = load_counts["sent_" .. kind] + 1
	if kind == "login" then
		local email = string.format("load-user-%d@example.test", (n - 1) % accounts + 1)
		return wrk.format("POST", "/auth/login", json_headers,
			string.format('{"email":"%s","password":"%s"}', email, password))
	elseif kind == "profile" then
		return profile_request(n)
	end
	local email = string.format("load-%s-t%d-%d@example.test", tag, wrk.thread:get("id"),
		load_counts.sent_signup)
	table.insert(load_emails, email)
	return wrk.format("POST", "/auth/signup", json_headers,
		string.format('{"full_name":"Load Test","email":"%s","password":"%s"}', email, password))
end

-- From MC_LOAD_IDLE_AT on, each connection waits past the end of the run
-- instead of sending, and once every request this thread sent has its
-- answer, the thread writes MC_LOAD_OUT/quiet.ID: when every thread has,
-- the runner stops wrk (SIGINT) with nothing in flight.
local function check_quiet()
	if idle_at == 0 or os.time() < idle_at then
		return false
	end
	if quiet_written then
		return true
	end
	local sent = load_counts.sent_login + load_counts.sent_profile + load_counts.sent_signup
	if sent == answered and due <= 0 then
		local f = io.open(os.getenv("MC_LOAD_OUT") .. "/quiet." .. wrk.thread:get("id"), "w")
		if f then
			f:write(answered, "\n")
			f:close()
		end
		quiet_written = true
	end
	return true
end

function delay()
	started = true
	if check_quiet() then
		return 3600 * 1000
	end
	due = due + 1
	return 0
end

function response(status, headers, body)
	answered = answered + 1
	local class = "s" .. math.floor(status / 100) .. "xx"
	load_counts[class] = (load_counts[class] or 0) + 1
	if status == 200 and string.find(body, '"access_token":', 1, true) then
		load_counts.ok_login = load_counts.ok_login + 1
	elseif status == 200 and string.find(body, '"is_verified":true', 1, true) then
		load_counts.ok_profile = load_counts.ok_profile + 1
	elseif status == 201 and body == '{"message":"OTP sent to your email for verification"}' then
		load_counts.ok_signup = load_counts.ok_signup + 1
	else
		load_counts.unexpected = load_counts.unexpected + 1
		if #load_unexpected < 20 then
			table.insert(load_unexpected, status .. " " .. string.sub(body, 1, 200))
		end
	end
	check_quiet()
end

local function json_string(s)
	return '"' .. string.gsub(s, '[%c"\\]', function(c)
		return string.format("\\u%04x", string.byte(c))
	end) .. '"'
end

function done(summary, latency, requests)
	local out = os.getenv("MC_LOAD_OUT") or error("mix.lua: MC_LOAD_OUT is not set")
	local fc = assert(io.open(out .. "/counts.tsv", "w"))
	local fe = assert(io.open(out .. "/signup-emails.txt", "w"))
	local fu = assert(io.open(out .. "/unexpected.txt", "w"))
	for _, t in ipairs(threads) do
		local id = t:get("id")
		local c = t:get("load_counts") or {}
		local e = t:get("load_emails") or {}
		for k, v in pairs(c) do
			fc:write(string.format("%d\t%s\t%d\n", id, k, v))
		end
		for _, email in ipairs(e) do
			fe:write(email, "\n")
		end
		for _, u in ipairs(t:get("load_unexpected") or {}) do
			fu:write(string.format("%d\t%s\n", id, string.gsub(u, "\n", " ")))
		end
	end
	fc:close()
	fe:close()
	fu:close()

	local e = summary.errors
	local f = assert(io.open(out .. "/wrk.json", "w"))
	f:write("{")
	f:write(string.format('"duration_us":%d,"requests":%d,"bytes":%d,', summary.duration,
		summary.requests, summary.bytes))
	f:write(string.format('"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d,"status":%d},',
		e.connect, e.read, e.write, e.timeout, e.status))
	f:write(string.format('"latency_us":{"min":%d,"mean":%.1f,"stdev":%.1f,"max":%d',
		latency.min, latency.mean, latency.stdev, latency.max))
	for _, p in ipairs({ 50, 75, 90, 99, 99.9 }) do
		f:write(string.format(',"p%s":%d', tostring(p), latency:percentile(p)))
	end
	f:write("},")
	f:write(string.format('"requests_per_s":{"mean":%.2f,"max":%d}', requests.mean, requests.max))
	f:write(",\"tag\":" .. json_string(tag) .. "}\n")
	f:close()
end

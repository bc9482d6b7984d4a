-- wrk script (wrk 4.1, LuaJIT) of `make bench` (tests/load/bench.sh): one
-- scenario per run, against this project or another server of the same API.
--
--   BENCH_SCENARIO=profile401 BENCH_OUT=run.json \
--       wrk -t 2 -c 16 -d 10s --timeout 30s -s tests/load/bench.lua http://127.0.0.1:PORT
--
-- Settings come from the environment (wrk's init(args) reaches only the
-- worker threads, and done() runs in another Lua state):
--   BENCH_SCENARIO  profile401  GET /user/profile without a token (401)
--                   profile     GET /user/profile with a token (200)
--                   login       POST /auth/login, right password (200)
--                   signup      POST /auth/signup, a new address each time (2xx:
--                               201 here, 200 from the FastAPI version)
--                   mixed       signup-heavy: signup, signup, login, profile in turn
--   BENCH_OUT       file done() writes (JSON, below; required)
--   BENCH_ACCOUNTS  file of the verified accounts, "email token" a line (for
--                   profile, login and mixed; tests/load/bench_accounts.py)
--   BENCH_PASSWORD  their password (default StrongPass123)
--   BENCH_TAG       word put in every signup address (default "bench"); each
--                   run needs its own: addresses are TAG-tT-N@example.com
--                   (thread T, its N-th signup)
--   BENCH_IDLE_AT   Unix time (whole seconds), 0 or unset: none. From then on
--                   a thread that has had an answer sends nothing more, and
--                   once every request it sent has its answer it writes
--                   BENCH_QUIET_DIR/quiet.ID, for the runner to stop wrk
--                   (SIGINT) with nothing in flight: every run then has
--                   answers, however slow the server (bench.sh --until-answered)
--
-- Every answer is counted by status; one that is not the scenario's
-- expected answer (401, 200, 2xx for signup) is "unexpected", and the first
-- few are kept. done() writes BENCH_OUT: duration, requests, socket errors,
-- statuses, unexpected (count and samples), latency (wrk's histogram: min,
-- mean, max, p50, p90, p99, p99.9, in microseconds), requests per second.

local threads = {}
local next_id = 0

function setup(thread)
	next_id = next_id + 1
	thread:set("id", next_id)
	table.insert(threads, thread)
end

local scenario = os.getenv("BENCH_SCENARIO") or ""
local password = os.getenv("BENCH_PASSWORD") or "StrongPass123"
local tag = os.getenv("BENCH_TAG") or "bench"
local json_headers = { ["Content-Type"] = "application/json" }

local idle_at = tonumber(os.getenv("BENCH_IDLE_AT") or "0")
local quiet_dir = os.getenv("BENCH_QUIET_DIR") or "."
local emails = {}
local tokens = {}
local seq = 0
local signups = 0
local answered = 0
local due = 0 -- requests delay() let through that request() has not made yet
local quiet = false
local rotation = {
	profile401 = { "profile401" },
	profile = { "profile" },
	login = { "login" },
	signup = { "signup" },
	mixed = { "signup", "signup", "login", "profile" },
}
local kinds = rotation[scenario]

-- Globals of each thread's state, read by done() through thread:get.
bench_statuses = {}
bench_unexpected = 0
bench_samples = {}
bench_sent = {}

function init(args)
	if kinds == nil then
		error("bench.lua: BENCH_SCENARIO must be profile401, profile, login, signup or mixed")
	end
	local file = os.getenv("BENCH_ACCOUNTS")
	if file then
		for line in io.lines(file) do
			local e, t = string.match(line, "^(%S+)%s+(%S+)$")
			if e then
				table.insert(emails, e)
				table.insert(tokens, t)
			end
		end
	end
	if scenario ~= "profile401" and scenario ~= "signup" and #emails == 0 then
		error("bench.lua: scenario " .. scenario .. " needs accounts in BENCH_ACCOUNTS")
	end
end

-- The request of one kind. response() does not know which request an
-- answer belongs to (a thread's connections interleave), so it tells the
-- kinds apart by status and body.
local function make(kind)
	local n = seq + wrk.thread:get("id")
	bench_sent[kind] = (bench_sent[kind] or 0) + 1
	if kind == "profile401" then
		return wrk.format("GET", "/user/profile")
	elseif kind == "profile" then
		return wrk.format("GET", "/user/profile",
			{ ["Authorization"] = "Bearer " .. tokens[(n - 1) % #tokens + 1] })
	elseif kind == "login" then
		return wrk.format("POST", "/auth/login", json_headers,
			string.format('{"email":"%s","password":"%s"}', emails[(n - 1) % #emails + 1], password))
	end
	signups = signups + 1
	local email = string.format("%s-t%d-%d@example.com", tag, wrk.thread:get("id"), signups)
	return wrk.format("POST", "/auth/signup", json_headers,
		string.format('{"full_name":"Bench User","email":"%s","password":"%s"}', email, password))
end

local checked = false
function request()
	-- wrk 4.1 calls request() once before the run to check it, in the
	-- first thread's state (after setup() and init()); that request is
	-- never sent and is not counted.
	if not checked then
		checked = true
		if wrk.thread:get("id") == 1 then
			return wrk.format("GET", "/user/profile")
		end
	end
	seq = seq + 1
	due = due - 1
	return make(kinds[(seq - 1) % #kinds + 1])
end

-- With BENCH_IDLE_AT: true once this thread sends nothing more; writes
-- quiet.ID when it has every answer.
local function check_quiet()
	if idle_at == 0 or os.time() < idle_at or answered == 0 then
		return false
	end
	if not quiet and answered == seq and due <= 0 then
		local f = io.open(quiet_dir .. "/quiet." .. wrk.thread:get("id"), "w")
		if f then
			f:write(answered, "\n")
			f:close()
		end
		quiet = true
	end
	return true
end

-- Defined only with BENCH_IDLE_AT: wrk asks delay() before every request
-- when the script has one, which a plain run need not pay for.
if idle_at > 0 then
	function delay()
		if check_quiet() then
			return 3600 * 1000
		end
		due = due + 1
		return 0
	end
end

-- The expected answers: 401 without a token, 200 with the account for a
-- token, 200 with an access token for a login, 2xx with the message for a
-- signup. A body that is none of them counts as unexpected.
local function expected(status, body)
	if status == 401 then
		return scenario == "profile401"
	elseif status == 200 and string.find(body, '"access_token"', 1, true) then
		return scenario == "login" or scenario == "mixed"
	elseif status == 200 and string.find(body, '"email"', 1, true) then
		return scenario == "profile" or scenario == "mixed"
	elseif status >= 200 and status < 300 and string.find(body, '"OTP sent', 1, true) then
		return scenario == "signup" or scenario == "mixed"
	end
	return false
end

function response(status, headers, body)
	answered = answered + 1
	bench_statuses[status] = (bench_statuses[status] or 0) + 1
	if not expected(status, body) then
		bench_unexpected = bench_unexpected + 1
		if #bench_samples < 5 then
			table.insert(bench_samples, status .. " " .. string.sub(body, 1, 160))
		end
	end
	if idle_at > 0 then
		check_quiet()
	end
end

local function json_string(s)
	return '"' .. string.gsub(s, '[%c"\\\128-\255]', function(c)
		return string.format("\\u%04x", string.byte(c))
	end) .. '"'
end

function done(summary, latency, requests)
	local out = os.getenv("BENCH_OUT") or error("bench.lua: BENCH_OUT is not set")
	local statuses, sent, samples = {}, {}, {}
	local unexpected = 0
	for _, t in ipairs(threads) do
		for k, v in pairs(t:get("bench_statuses") or {}) do
			statuses[k] = (statuses[k] or 0) + v
		end
		for k, v in pairs(t:get("bench_sent") or {}) do
			sent[k] = (sent[k] or 0) + v
		end
		unexpected = unexpected + (t:get("bench_unexpected") or 0)
		for _, s in ipairs(t:get("bench_samples") or {}) do
			if #samples < 5 then
				table.insert(samples, s)
			end
		end
	end
	local function obj(t)
		local parts = {}
		for k, v in pairs(t) do
			table.insert(parts, string.format('"%s":%d', tostring(k), v))
		end
		table.sort(parts)
		return "{" .. table.concat(parts, ",") .. "}"
	end
	local quoted = {}
	for _, s in ipairs(samples) do
		table.insert(quoted, json_string(s))
	end
	local e = summary.errors
	local f = assert(io.open(out, "w"))
	f:write("{")
	f:write(string.format('"scenario":%s,"duration_us":%d,"requests":%d,"bytes":%d,',
		json_string(scenario), summary.duration, summary.requests, summary.bytes))
	f:write(string.format('"socket_errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},',
		e.connect, e.read, e.write, e.timeout))
	f:write('"statuses":' .. obj(statuses) .. ',"sent":' .. obj(sent) .. ",")
	f:write(string.format('"unexpected":%d,"unexpected_samples":[%s],', unexpected,
		table.concat(quoted, ",")))
	f:write(string.format('"latency_us":{"min":%d,"mean":%.1f,"max":%d', latency.min, latency.mean,
		latency.max))
	for _, p in ipairs({ 50, 90, 99, 99.9 }) do
		f:write(string.format(',"p%s":%d', tostring(p), latency:percentile(p)))
	end
	f:write("},")
	f:write(string.format('"requests_per_s":%.2f}\n', summary.requests / (summary.duration / 1e6)))
	f:close()
end

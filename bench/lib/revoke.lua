-- revoke.lua: revokes every lease id in the file BENCH_IDS once, with
-- PUT /v1/sys/leases/revoke, and reports the rate of exactly those
-- revocations: a run bounded by count, not by time, so that each id is
-- revoked once and the rate is the ids' count over the time from the first
-- request to the last answer (read from CLOCK_MONOTONIC through LuaJIT's
-- ffi). When every id is answered the script sends wrk SIGINT, which ends
-- the run as at the end of -d (wrk's own Ctrl-C path); -d is only a cap.
--
-- Once the ids run out, delay() holds every connection that asks for
-- more work for 10 s, so that nothing else is sent while the last
-- revocations finish; should one still be sent (the -d cap reached, say),
-- it is GET /v1/sys/health (answered 200, where a revocation answers 204),
-- which is not counted in the rate. Run with one wrk thread (-t1).
dofile(os.getenv("BENCH_LIB") .. "/common.lua")

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk, bench_timespec *ts);
int getpid(void);
int kill(int pid, int sig);
]]
local ts = ffi.new("bench_timespec")

local function now_us()
   ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
   return tonumber(ts.tv_sec) * 1e6 + tonumber(ts.tv_nsec) / 1e3
end

local ids = {}
local calls, sent, answered = 0, 0, 0
local start_us = nil
local thread_of = nil

wrk.method = "PUT"
wrk.headers["Content-Type"] = "application/json"

function setup(thread)
   thread_of = thread
end

function init(args)
   for line in io.lines(os.getenv("BENCH_IDS")) do
      ids[#ids + 1] = line
   end
   bench_total = #ids
end

function request()
   calls = calls + 1
   -- wrk calls request() once before the run to check what it returns
   -- (script_verify_request); that call must not use up an id.
   if calls > 1 and sent < #ids then
      sent = sent + 1
      if start_us == nil then
         start_us = now_us()
      end
      return wrk.format("PUT", "/v1/sys/leases/revoke", nil,
                        '{"lease_id":"' .. ids[sent] .. '"}')
   end
   return wrk.format("GET", "/v1/sys/health")
end

function delay()
   if sent < #ids then
      return 0
   end
   return 10000
end

function response(status, headers, body)
   if status == 200 then
      return
   end
   answered = answered + 1
   if answered == #ids then
      bench_span_us = now_us() - start_us
      ffi.C.kill(ffi.C.getpid(), 2) -- SIGINT: wrk stops and reports
   end
end

function done(summary, latency, requests)
   local span = thread_of:get("bench_span_us")
   local total = thread_of:get("bench_total") or 0
   local errors = bench_errors(summary)
   local rps = 0
   if span ~= nil and span > 0 then
      rps = total / (span / 1e6)
   else
      -- The cap (-d) ended the run first: say so through the errors.
      errors = errors + math.max(total, 1)
   end
   bench_report(rps, latency, errors, total)
end

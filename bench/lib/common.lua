-- common.lua: loaded by every workload script (dofile) for what they
-- share: the token header, and one machine-readable result line.
--
-- BENCH_TOKEN is the token to send as X-Vault-Token (nginx gets the same
-- header, so both servers parse the same request).

wrk.headers["X-Vault-Token"] = os.getenv("BENCH_TOKEN") or ""

-- Every wrk thread has its own Lua state; seed each differently so that
-- the threads do not walk the same key sequence.
local seeded = false
function bench_seed()
   if not seeded then
      math.randomseed(os.time() + tonumber(tostring({}):sub(8), 16))
      seeded = true
   end
end

-- Prints one line that bench/run.sh parses; latencies in microseconds.
function done(summary, latency, requests)
   local e = summary.errors
   local errors = e.connect + e.read + e.write + e.status + e.timeout
   local secs = summary.duration / 1e6
   io.write(string.format(
      "BENCH rps=%.1f p50_us=%d p99_us=%d errors=%d requests=%d\n",
      summary.requests / secs, latency:percentile(50),
      latency:percentile(99), errors, summary.requests))
end

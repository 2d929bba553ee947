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

-- Prints the one line that bench/run.sh parses; latencies in microseconds.
function bench_report(rps, latency, errors, requests)
   io.write(string.format(
      "BENCH rps=%.1f p50_us=%d p99_us=%d errors=%d requests=%d\n",
      rps, latency:percentile(50), latency:percentile(99), errors,
      requests))
end

function bench_errors(summary)
   local e = summary.errors
   return e.connect + e.read + e.write + e.status + e.timeout
end

function done(summary, latency, requests)
   bench_report(summary.requests / (summary.duration / 1e6), latency,
                bench_errors(summary), summary.requests)
end

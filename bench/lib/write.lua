-- write.lua: POST a KV v2 secret to BENCH_PREFIX<i> for a random i in
-- [1, BENCH_KEYS]; each request is one durable write (data + metadata).
-- The body matches bench/kv_load.c's.
dofile(os.getenv("BENCH_LIB") .. "/common.lua")

local prefix = os.getenv("BENCH_PREFIX") or "/v1/secret/data/w-"
local keys = tonumber(os.getenv("BENCH_KEYS") or "100000")

wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"data":{"username":"service-account","password":' ..
   '"b7Jx2Qp9Lm4Vt8Rz1Kc6Wn3Hs5Fd0Ga7","url":' ..
   '"postgres://db.internal:5432/app"}}'

function init(args)
   bench_seed()
end

function request()
   return wrk.format(nil, prefix .. math.random(1, keys))
end

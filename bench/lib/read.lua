-- read.lua: GET BENCH_PREFIX<i> for a random i in [1, BENCH_KEYS].
--
-- The requests are formatted once in init() and picked from a table, so
-- wrk spends next to nothing per request and the baseline (nginx) is not
-- held back by the load generator. Past 100,000 keys (the 1M-secret row)
-- each wrk thread formats a uniform random sample of 100,000 of them, so
-- the server still reads all over its 1M-entry table while wrk's cost per
-- request stays the one of the 10,000-key run it is compared with.
dofile(os.getenv("BENCH_LIB") .. "/common.lua")

local prefix = os.getenv("BENCH_PREFIX") or "/v1/secret/data/app-"
local keys = tonumber(os.getenv("BENCH_KEYS") or "10000")
local table_size = math.min(keys, 100000)
local prebuilt = {}

function init(args)
   bench_seed()
   for i = 1, table_size do
      local key = i
      if keys > table_size then
         key = math.random(1, keys)
      end
      prebuilt[i] = wrk.format("GET", prefix .. key)
   end
end

function request()
   return prebuilt[math.random(1, table_size)]
end

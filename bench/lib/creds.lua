-- creds.lua: GET BENCH_PATH (database/creds/<role>: one new database user
-- and one lease per request, as `vault read` asks for them) and append
-- the lease id of every 200 answer to the file BENCH_IDS, for revoke.lua
-- to revoke afterwards. Run with one wrk thread (-t1): the file is opened
-- by the thread's own Lua state.
dofile(os.getenv("BENCH_LIB") .. "/common.lua")

local path = os.getenv("BENCH_PATH")
local out = nil

function init(args)
   out = assert(io.open(os.getenv("BENCH_IDS"), "a"))
   -- Line buffered: the thread's Lua state is never closed, so nothing
   -- may wait in a buffer at exit.
   out:setvbuf("line")
end

function request()
   return wrk.format("GET", path)
end

function response(status, headers, body)
   if status == 200 then
      local id = string.match(body, '"lease_id":"([^"]+)"')
      if id then
         out:write(id, "\n")
      end
   end
end

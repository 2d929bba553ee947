-- static.lua: the same request every time (the URL wrk is given), with
-- the token header. Used for auth/token/lookup-self. wrk builds the
-- request once, so the load generator costs as little as it can.
dofile(os.getenv("BENCH_LIB") .. "/common.lua")

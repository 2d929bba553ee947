-- post.lua: POST BENCH_BODY (JSON) to the URL wrk is given, the same
-- request every time. Used for auth/token/create and auth/approle/login.
-- With BENCH_NO_TOKEN=1 no X-Vault-Token header is sent (a login needs
-- none, and a client logging in has none yet).
dofile(os.getenv("BENCH_LIB") .. "/common.lua")

if os.getenv("BENCH_NO_TOKEN") == "1" then
   wrk.headers["X-Vault-Token"] = nil
end
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = os.getenv("BENCH_BODY") or "{}"

"""The token auth method as hvac 0.11.2 drives it: create, lookup,
renew, revoke (trees, orphans, accessors), roles, use limits, expiry, and
tokens that survive a restart of a SQLite server and still expire."""

import threading
import time

import hvac
import hvac.exceptions

from harness import ServerTest, main

# The "web" policy of these tests lets its tokens make child tokens.
WEB_POLICY = 'path "auth/token/create" { capabilities = ["create", "update"] }'


class Tokens(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="root").start()
        self.c = self.srv.client()
        self.c.sys.create_or_update_policy("web", WEB_POLICY)

    def create(self, client=None, **kw):
        kw.setdefault("policies", ["web"])
        return (client or self.c).auth.token.create(**kw)["auth"]

    def as_token(self, token):
        return hvac.Client(url=self.srv.addr, token=token)

    def refused(self, token):
        status, body = self.srv.request(
            "GET", "/v1/auth/token/lookup-self", token=token)
        return status == 403 and "permission denied" in body["errors"]

    def test_create_and_lookup_shapes(self):
        auth = self.create(ttl="1h", meta={"app": "ci"})
        self.assertTrue(auth["client_token"].startswith("hvs."))
        self.assertGreaterEqual(len(auth["client_token"]), 28)
        self.assertEqual(auth["policies"], ["default", "web"])
        self.assertEqual(auth["token_policies"], ["default", "web"])
        self.assertEqual(auth["metadata"], {"app": "ci"})
        self.assertEqual(auth["lease_duration"], 3600)
        self.assertTrue(auth["renewable"])
        self.assertEqual(auth["entity_id"], "")
        self.assertEqual(auth["token_type"], "service")
        self.assertFalse(auth["orphan"])
        self.assertIsNone(auth["mfa_requirement"])
        self.assertEqual(auth["num_uses"], 0)

        tok = auth["client_token"]
        data = self.c.auth.token.lookup(tok)["data"]
        self.assertEqual(data["id"], tok)
        self.assertEqual(data["accessor"], auth["accessor"])
        self.assertIsInstance(data["creation_time"], int)
        self.assertEqual(data["creation_ttl"], 3600)
        self.assertIsInstance(data["expire_time"], str)
        self.assertTrue(3590 <= data["ttl"] <= 3600)
        self.assertEqual(data["path"], "auth/token/create")
        self.assertEqual(data["display_name"], "token-token")
        self.assertEqual(data["type"], "service")
        self.assertEqual(data["explicit_max_ttl"], 0)
        self.assertIn("issue_time", data)

        # The token itself, the legacy GET form, and by accessor.
        self.assertEqual(
            self.as_token(tok).auth.token.lookup_self()["data"]["id"], tok)
        status, body = self.srv.request(
            "GET", "/v1/auth/token/lookup/" + tok)
        self.assertEqual((status, body["data"]["accessor"]),
                         (200, auth["accessor"]))
        acc = self.c.auth.token.lookup_accessor(auth["accessor"])["data"]
        self.assertEqual(acc["id"], "")
        self.assertEqual(acc["policies"], ["default", "web"])

        # The root token does not expire and says so.
        root = self.c.auth.token.lookup_self()["data"]
        self.assertIsNone(root["expire_time"])
        self.assertEqual(root["ttl"], 0)
        self.assertEqual(root["policies"], ["root"])

        # Bad lookups: 403 bad token, 400 for a missing or bad accessor.
        status, body = self.srv.request(
            "POST", "/v1/auth/token/lookup", body={"token": "hvs.nope"})
        self.assertEqual((status, body["errors"]), (403, ["bad token"]))
        status, _ = self.srv.request("POST", "/v1/auth/token/lookup",
                                     body={})
        self.assertEqual(status, 400)
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.auth.token.lookup_accessor("nope")

    def test_tree_revocation_and_orphans(self):
        a = self.create()["client_token"]
        b = self.create(self.as_token(a))["client_token"]
        c = self.create(self.as_token(b))["client_token"]
        orphan = self.c.create_token(policies=["web"], orphan=True)
        self.assertTrue(orphan["auth"]["orphan"])
        self.c.auth.token.revoke(a)
        for t in (a, b, c):
            self.assertTrue(self.refused(t))
        self.assertFalse(self.refused(orphan["auth"]["client_token"]))
        self.assertFalse(self.refused("root"))

        # revoke-orphan: the children stay, as orphans.
        x = self.create()["client_token"]
        y = self.create(self.as_token(x))["client_token"]
        self.c.auth.token.revoke_and_orphan_children(x)
        self.assertTrue(self.refused(x))
        self.assertTrue(self.c.auth.token.lookup(y)["data"]["orphan"])

        # revoke-self and revoke-accessor; unknown tokens are no error.
        z = self.create()
        self.as_token(z["client_token"]).auth.token.revoke_self()
        self.assertTrue(self.refused(z["client_token"]))
        w = self.create()
        self.c.auth.token.revoke_accessor(w["accessor"])
        self.assertTrue(self.refused(w["client_token"]))
        self.c.auth.token.revoke("hvs.doesnotexist")

    def test_child_policies_are_a_subset(self):
        a = self.as_token(self.create()["client_token"])
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.create(a, policies=["db"])
        self.assertEqual(self.create(a)["policies"], ["default", "web"])
        # Settings only root may choose.
        for kw in ({"id": "mine"}, {"no_parent": True}, {"period": "1h"}):
            with self.assertRaises(hvac.exceptions.InvalidRequest):
                self.create(a, **kw)
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.create(type="batch")
        custom = self.create(id="my-custom-token")
        self.assertEqual(custom["client_token"], "my-custom-token")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.create(id="my-custom-token")

    def test_num_uses(self):
        tok = self.create(num_uses=2)["client_token"]
        t = self.as_token(tok)
        # A request the policy refuses does not spend a use.
        for _ in range(3):
            status, _ = self.srv.request("GET", "/v1/sys/mounts", token=tok)
            self.assertEqual(status, 403)
        self.assertEqual(t.auth.token.lookup_self()["data"]["num_uses"], 1)
        self.assertEqual(t.auth.token.lookup_self()["data"]["num_uses"], 0)
        self.assertTrue(self.refused(tok))
        status, _ = self.srv.request("POST", "/v1/auth/token/lookup",
                                     body={"token": tok})
        self.assertEqual(status, 403)

        # 30 concurrent requests on a one-use token: exactly one passes.
        tok = self.create(num_uses=1)["client_token"]
        results = []

        def use():
            status, _ = self.srv.request(
                "GET", "/v1/auth/token/lookup-self", token=tok)
            results.append(status)

        threads = [threading.Thread(target=use) for _ in range(30)]
        for th in threads:
            th.start()
        for th in threads:
            th.join()
        self.assertEqual(sorted(results), [200] + [403] * 29)

    def test_ttl_expiry(self):
        auth = self.create(ttl="2s")
        tok = auth["client_token"]
        self.assertFalse(self.refused(tok))
        time.sleep(2.5)
        self.assertTrue(self.refused(tok))
        status, body = self.srv.request("POST", "/v1/auth/token/lookup",
                                        body={"token": tok})
        self.assertEqual((status, body["errors"]), (403, ["bad token"]))
        # The expiry thread removes it: the accessor is gone too.
        deadline = time.time() + 5
        while time.time() < deadline:
            status, _ = self.srv.request(
                "POST", "/v1/auth/token/lookup-accessor",
                body={"accessor": auth["accessor"]})
            keys = self.c.auth.token.list_accessors()["data"]["keys"]
            if auth["accessor"] not in keys:
                break
            time.sleep(0.1)
        self.assertEqual(status, 400)
        self.assertNotIn(auth["accessor"], keys)

    def test_renew(self):
        auth = self.create(ttl="60s", explicit_max_ttl="100s")
        tok = auth["client_token"]
        t = self.as_token(tok)
        r = t.auth.token.renew_self(increment=3600)["auth"]
        self.assertEqual(r["client_token"], tok)
        self.assertTrue(95 <= r["lease_duration"] <= 100)
        r = self.c.auth.token.renew(tok, increment="30s")["auth"]
        self.assertEqual(r["lease_duration"], 30)
        r = self.c.auth.token.renew_accessor(auth["accessor"])["auth"]
        self.assertEqual(r["client_token"], "")
        self.assertTrue(55 <= r["lease_duration"] <= 60)
        data = self.c.auth.token.lookup(tok)["data"]
        self.assertIn("last_renewal_time", data)

        # Not renewable, unknown, root: 400.
        fixed = self.create(renewable=False)["client_token"]
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.auth.token.renew(fixed)
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.auth.token.renew("hvs.unknown")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.auth.token.renew_self()
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.auth.token.renew(tok, increment="-5s")

        # Periodic: the period, whatever was asked.
        per = self.create(period="30s")
        self.assertEqual(per["lease_duration"], 30)
        r = self.c.auth.token.renew(per["client_token"], increment=9999)
        self.assertEqual(r["auth"]["lease_duration"], 30)

    def test_roles(self):
        tok = self.c.auth.token
        tok.create_or_update_role("ci", allowed_policies=["ci", "build"],
                                  orphan=True, path_suffix="v1")
        # An update keeps what it does not name.
        self.c.write("auth/token/roles/ci", token_period="10m")
        role = tok.read_role("ci")["data"]
        self.assertEqual(role["allowed_policies"], ["ci", "build"])
        self.assertTrue(role["orphan"])
        self.assertEqual(role["token_period"], 600)
        self.assertEqual(role["period"], 600)
        self.assertEqual(role["path_suffix"], "v1")
        self.assertEqual(role["token_type"], "default-service")
        self.assertEqual(tok.list_roles()["data"]["keys"], ["ci"])
        # hvac's legacy method writes the deprecated names.
        self.c.create_token_role("old", allowed_policies=["web"],
                                 period="1h")
        self.assertEqual(tok.read_role("old")["data"]["token_period"], 3600)

        auth = tok.create(role_name="ci", policies=["ci"])["auth"]
        self.assertEqual(auth["policies"], ["ci", "default"])
        self.assertTrue(auth["orphan"])
        self.assertEqual(auth["lease_duration"], 600)
        data = tok.lookup(auth["client_token"])["data"]
        self.assertEqual(data["path"], "auth/token/create/ci/v1")
        self.assertEqual(data["role"], "ci")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            tok.create(role_name="ci", policies=["admin"])
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            tok.create(role_name="nope")

        tok.delete_role("ci")
        with self.assertRaises(hvac.exceptions.InvalidPath):
            tok.read_role("ci")
        tok.delete_role("old")
        with self.assertRaises(hvac.exceptions.InvalidPath):
            tok.list_roles()

    def test_bad_tokens_do_nothing(self):
        expired = self.create(ttl="1s")["client_token"]
        revoked = self.create()["client_token"]
        self.c.auth.token.revoke(revoked)
        used = self.create(num_uses=1)["client_token"]
        self.as_token(used).auth.token.lookup_self()
        time.sleep(1.5)
        before = len(self.c.auth.token.list_accessors()["data"]["keys"])
        for bad in (expired, revoked, used, "garbage", "hvs." + "A" * 24,
                    "x" * 5000):
            for method, path, body in (
                    ("POST", "/v1/auth/token/create", {"policies": ["web"]}),
                    ("POST", "/v1/auth/token/revoke-self", None),
                    ("POST", "/v1/auth/token/renew-self", None),
                    ("GET", "/v1/auth/token/lookup-self", None)):
                status, out = self.srv.request(method, path, body=body,
                                               token=bad)
                self.assertEqual(status, 403, (bad[:10], path))
                self.assertIn("permission denied", out["errors"])
        after = len(self.c.auth.token.list_accessors()["data"]["keys"])
        self.assertLessEqual(after, before)

    def test_accessors_and_tidy(self):
        a = self.create()
        keys = self.c.auth.token.list_accessors()["data"]["keys"]
        self.assertIn(a["accessor"], keys)
        # Non-root tokens cannot list (sudo) until the ACL says so.
        with self.assertRaises(hvac.exceptions.Forbidden):
            self.as_token(a["client_token"]).auth.token.list_accessors()
        r = self.c.auth.token.tidy()
        self.assertTrue(r["warnings"])


class TokensRestart(ServerTest):
    def unseal(self, srv, keys):
        for k in keys:
            srv.client().sys.submit_unseal_key(k)

    def test_tokens_survive_restart_and_expire(self):
        srv = self.server().start()
        init = srv.client().sys.initialize(secret_shares=1,
                                           secret_threshold=1)
        self.unseal(srv, init["keys"])
        c = hvac.Client(url=srv.addr, token=init["root_token"])
        c.sys.create_or_update_policy("web", WEB_POLICY)
        short = c.auth.token.create(policies=["web"], ttl="4s")["auth"]
        long = c.auth.token.create(policies=["web"], ttl="1h")["auth"]
        parent = c.auth.token.create(policies=["web"], ttl="1h")["auth"]
        kid = hvac.Client(url=srv.addr, token=parent["client_token"]) \
            .auth.token.create(policies=["web"], ttl="1h")["auth"]
        started = time.time()

        srv.restart()
        self.unseal(srv, init["keys"])
        c = hvac.Client(url=srv.addr, token=init["root_token"])
        for a in (short, long, kid):
            data = c.auth.token.lookup(a["client_token"])["data"]
            self.assertEqual(data["accessor"], a["accessor"])
        # The tree survived too.
        c.auth.token.revoke(parent["client_token"])
        with self.assertRaises(hvac.exceptions.Forbidden):
            c.auth.token.lookup(kid["client_token"])

        time.sleep(max(0, 4.5 - (time.time() - started)))
        with self.assertRaises(hvac.exceptions.Forbidden):
            c.auth.token.lookup(short["client_token"])
        deadline = time.time() + 5
        while time.time() < deadline:
            keys = c.auth.token.list_accessors()["data"]["keys"]
            if short["accessor"] not in keys:
                break
            time.sleep(0.1)
        self.assertNotIn(short["accessor"], keys)
        self.assertIn(long["accessor"], keys)


if __name__ == "__main__":
    main()

"""sys/leases on token leases, through hvac 0.11.2 and the legacy paths
node-vault uses: lookup, list, renew, revoke, revoke-prefix, revoke-force,
tidy."""

import hvac
import hvac.exceptions

from harness import ServerTest, main


class Leases(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="root").start()
        self.c = self.srv.client()

    def token(self, **kw):
        kw.setdefault("policies", ["web"])
        kw.setdefault("ttl", "1h")
        return self.c.auth.token.create(**kw)["auth"]

    def alive(self, token):
        status, _ = self.srv.request("GET", "/v1/auth/token/lookup-self",
                                     token=token)
        return status == 200

    def lease_ids(self, prefix="auth/token/create/"):
        try:
            keys = self.c.sys.list_leases(prefix)["data"]["keys"]
        except hvac.exceptions.InvalidPath:
            return []
        return [prefix + k for k in keys if not k.endswith("/")]

    def test_lookup_and_list(self):
        a = self.token()
        ids = self.lease_ids()
        self.assertEqual(len(ids), 1)
        self.assertEqual(self.c.sys.list_leases("auth/token/")["data"]
                         ["keys"], ["create/"])
        lease = self.c.sys.read_lease(ids[0])["data"]
        self.assertEqual(lease["id"], ids[0])
        self.assertTrue(lease["renewable"])
        self.assertTrue(3590 <= lease["ttl"] <= 3600)
        self.assertIsInstance(lease["issue_time"], str)
        self.assertIsInstance(lease["expire_time"], str)
        self.assertIsNone(lease["last_renewal"])
        # The root token has no lease; nothing else is listed.
        self.assertTrue(self.alive(a["client_token"]))
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.c.sys.list_leases("nothing/here")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.sys.read_lease("auth/token/create/unknown")

    def test_renew_goes_through_the_token_rules(self):
        a = self.token(ttl="60s", explicit_max_ttl="90s")
        lid = self.lease_ids()[0]
        r = self.c.sys.renew_lease(lid, increment=3600)
        self.assertEqual(r["lease_id"], lid)
        self.assertTrue(r["renewable"])
        self.assertTrue(85 <= r["lease_duration"] <= 90)
        self.assertIsNone(r["data"])
        self.assertIsNone(r["auth"])
        data = self.c.auth.token.lookup(a["client_token"])["data"]
        self.assertTrue(85 <= data["ttl"] <= 90)
        self.assertIsNotNone(self.c.sys.read_lease(lid)["data"]
                             ["last_renewal"])
        # Legacy sys/renew with the id in the path.
        status, body = self.srv.request("PUT", "/v1/sys/renew/" + lid,
                                        body={"increment": 10})
        self.assertEqual((status, body["lease_duration"]), (200, 10))
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.sys.renew_lease("auth/token/create/unknown")

    def test_revoke(self):
        a, b = self.token(), self.token()
        ids = self.lease_ids()
        self.assertEqual(len(ids), 2)
        lid_a = [i for i in ids
                 if self.c.sys.read_lease(i)["data"]["id"] == i][0]
        self.c.sys.revoke_lease(lid_a)
        self.assertEqual(len(self.lease_ids()), 1)
        self.assertEqual(sum(self.alive(t["client_token"])
                             for t in (a, b)), 1)
        # Legacy: sys/revoke/<id>; unknown ids are not an error.
        status, _ = self.srv.request("PUT", "/v1/sys/revoke/" +
                                     self.lease_ids()[0])
        self.assertEqual(status, 204)
        self.assertFalse(self.alive(a["client_token"]))
        self.assertFalse(self.alive(b["client_token"]))
        self.c.sys.revoke_lease("auth/token/create/unknown")

    def test_revoke_prefix_and_force(self):
        self.c.auth.token.create_or_update_role("ci")
        plain = [self.token() for _ in range(3)]
        role = self.c.auth.token.create(role_name="ci", policies=["web"],
                                        ttl="1h")["auth"]
        self.c.sys.revoke_prefix("auth/token/create/ci")
        self.assertFalse(self.alive(role["client_token"]))
        self.assertTrue(all(self.alive(t["client_token"]) for t in plain))

        # Legacy sys/revoke-prefix, as node-vault sends it.
        status, _ = self.srv.request(
            "PUT", "/v1/sys/revoke-prefix/auth/token/create",
            body={"path_prefix": "auth/token/create"})
        self.assertEqual(status, 204)
        self.assertFalse(any(self.alive(t["client_token"]) for t in plain))
        self.assertTrue(self.alive("root"))

        more = self.token()
        self.c.sys.revoke_force("auth/token/")
        self.assertFalse(self.alive(more["client_token"]))
        self.assertEqual(self.lease_ids(), [])

        # An empty prefix is refused rather than taken as "everything".
        status, _ = self.srv.request("PUT", "/v1/sys/leases/revoke-prefix/")
        self.assertEqual(status, 400)

    def test_tidy_and_non_root(self):
        status, _ = self.srv.request("PUT", "/v1/sys/leases/tidy")
        self.assertEqual(status, 204)
        t = self.token()
        status, _ = self.srv.request(
            "PUT", "/v1/sys/leases/revoke-prefix/auth/token/create",
            token=t["client_token"])
        self.assertEqual(status, 403)
        self.assertTrue(self.alive(t["client_token"]))


if __name__ == "__main__":
    main()

"""Response wrapping and the cubbyhole, as hvac 0.11.2 uses them: wrapped
reads and token creation, single-use unwrap (also under a race), lookup,
rewrap, wrapping limits from policies, and each token's private space."""

import threading

import hvac
import hvac.exceptions

from harness import ServerTest, main


class Wrapping(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True).start()
        self.c = self.srv.client()
        self.c.secrets.kv.v2.create_or_update_secret(
            path="app", secret={"password": "wrapped-secret"},
            mount_point="secret")

    def wrapped_read(self, ttl="60s"):
        status, body = self.srv.request(
            "GET", "/v1/secret/data/app", headers={"X-Vault-Wrap-TTL": ttl})
        self.assertEqual(status, 200, body)
        return body

    def test_wrap_and_unwrap_once(self):
        body = self.wrapped_read()
        self.assertIsNone(body["data"])
        info = body["wrap_info"]
        self.assertEqual(info["ttl"], 60)
        self.assertEqual(info["creation_path"], "secret/data/app")
        self.assertNotIn("wrapped-secret", str(body))

        status, look = self.srv.request("POST", "/v1/sys/wrapping/lookup",
                                        {"token": info["token"]}, token="")
        self.assertEqual(look["data"]["creation_ttl"], 60)

        got = hvac.Client(url=self.srv.addr).sys.unwrap(info["token"])
        self.assertEqual(got["data"]["data"], {"password": "wrapped-secret"})
        # Single use: the second unwrap fails, and so does lookup.
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            hvac.Client(url=self.srv.addr).sys.unwrap(info["token"])
        status, _ = self.srv.request("POST", "/v1/sys/wrapping/lookup",
                                     {"token": info["token"]}, token="")
        self.assertEqual(status, 400)

    def test_unwrap_race_has_one_winner(self):
        token = self.wrapped_read()["wrap_info"]["token"]
        wins = []

        def unwrap():
            status, body = self.srv.request(
                "POST", "/v1/sys/wrapping/unwrap", {}, token=token)
            if status == 200:
                wins.append(body)
        threads = [threading.Thread(target=unwrap) for _ in range(20)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        self.assertEqual(len(wins), 1)

    def test_wrapped_token_create(self):
        self.c.sys.create_or_update_policy(
            "reader", 'path "secret/data/*" { capabilities = ["read"] }')
        status, body = self.srv.request(
            "POST", "/v1/auth/token/create", {"policies": ["reader"]},
            headers={"X-Vault-Wrap-TTL": "2m"})
        info = body["wrap_info"]
        self.assertIsNone(body["auth"])
        self.assertTrue(info["wrapped_accessor"])
        auth = hvac.Client(url=self.srv.addr).sys.unwrap(
            info["token"])["auth"]
        self.assertEqual(auth["accessor"], info["wrapped_accessor"])
        reader = hvac.Client(url=self.srv.addr, token=auth["client_token"])
        got = reader.secrets.kv.v2.read_secret_version(path="app",
                                                       mount_point="secret")
        self.assertEqual(got["data"]["data"]["password"], "wrapped-secret")

    def test_wrap_rewrap_and_bad_tokens(self):
        status, body = self.srv.request("POST", "/v1/sys/wrapping/wrap",
                                        {"any": "payload"})
        first = body["wrap_info"]["token"]
        status, body = self.srv.request("POST", "/v1/sys/wrapping/rewrap",
                                        {"token": first})
        second = body["wrap_info"]["token"]
        self.assertNotEqual(first, second)
        status, _ = self.srv.request("POST", "/v1/sys/wrapping/unwrap",
                                     {"token": first}, token="")
        self.assertEqual(status, 400)
        status, body = self.srv.request("POST", "/v1/sys/wrapping/unwrap",
                                        {"token": second}, token="")
        self.assertEqual(body["data"], {"any": "payload"})
        for bad in ("", "hvs.nope", "root"):
            status, _ = self.srv.request("POST", "/v1/sys/wrapping/unwrap",
                                         {"token": bad}, token="")
            self.assertEqual(status, 400, bad)
        # A wrapping token is good for nothing else.
        token = self.wrapped_read()["wrap_info"]["token"]
        status, _ = self.srv.request("GET", "/v1/secret/data/app",
                                     token=token)
        self.assertEqual(status, 403)
        status, _ = self.srv.request("GET", "/v1/secret/data/app",
                                     headers={"X-Vault-Wrap-TTL": "-5"})
        self.assertEqual(status, 400)

    def test_policy_wrapping_limits(self):
        self.c.sys.create_or_update_policy("wrapped-only", """
            path "secret/data/*" {
              capabilities = ["read"]
              min_wrapping_ttl = "60s"
              max_wrapping_ttl = "300s"
            }""")
        tok = self.c.auth.token.create(policies=["wrapped-only"])
        t = tok["auth"]["client_token"]
        for ttl, want in ((None, 403), ("30s", 403), ("600s", 403),
                          ("120s", 200)):
            headers = {"X-Vault-Wrap-TTL": ttl} if ttl else {}
            status, _ = self.srv.request("GET", "/v1/secret/data/app",
                                         token=t, headers=headers)
            self.assertEqual(status, want, ttl)

    def test_cubbyhole_is_private(self):
        a = self.c.auth.token.create(policies=["default"])["auth"]
        b = self.c.auth.token.create(policies=["default"])["auth"]
        ca = hvac.Client(url=self.srv.addr, token=a["client_token"])
        cb = hvac.Client(url=self.srv.addr, token=b["client_token"])
        ca.write("cubbyhole/note", text="only mine")
        self.assertEqual(ca.read("cubbyhole/note")["data"]["text"],
                         "only mine")
        self.assertIsNone(cb.read("cubbyhole/note"))
        self.assertIsNone(self.c.read("cubbyhole/note"))
        self.assertEqual(ca.list("cubbyhole")["data"]["keys"], ["note"])
        # Revoked, the token's space goes with it: a new token with the
        # same policies starts empty and the old one is refused.
        self.c.auth.token.revoke(a["client_token"])
        status, _ = self.srv.request("GET", "/v1/cubbyhole/note",
                                     token=a["client_token"])
        self.assertEqual(status, 403)


if __name__ == "__main__":
    main()

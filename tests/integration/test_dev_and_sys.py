"""Dev mode and the sys endpoints of the foundation, as Vault clients see
them: envelope shapes, mounts, health codes, tools, tokens."""

import base64
import hashlib
import urllib.request

import hvac
import hvac.exceptions

from harness import ServerTest, main


class DevAndSys(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="dev-root-1").start()
        self.c = self.srv.client()

    def test_dev_mode_ready(self):
        self.assertTrue(self.c.is_authenticated())
        self.assertFalse(self.c.sys.is_sealed())
        log = self.srv.read_log()
        self.assertIn("Root Token: dev-root-1", log)
        self.assertIn("Unseal Key: ", log)
        mounts = self.c.sys.list_mounted_secrets_engines()
        self.assertEqual(mounts["data"]["secret/"]["type"], "kv")
        self.assertEqual(mounts["data"]["secret/"]["options"],
                         {"version": "2"})
        # node-vault reads the legacy top-level copy.
        self.assertIn("secret/", mounts)
        self.assertIn("sys/", mounts["data"])
        auths = self.c.sys.list_auth_methods()
        self.assertIn("token/", auths["data"])
        self.assertIn("token/", auths)

    def test_bad_tokens_are_refused(self):
        for token in ("wrong", "hvs." + "A" * 24, "x" * 5000):
            c = hvac.Client(url=self.srv.addr, token=token)
            with self.assertRaises(hvac.exceptions.Forbidden):
                c.sys.list_mounted_secrets_engines()
        status, body = self.srv.request("GET", "/v1/sys/mounts",
                                        token="", headers={})
        self.assertEqual(status, 403)
        # Authorization: Bearer works when X-Vault-Token is absent.
        req = urllib.request.Request(self.srv.addr + "/v1/sys/mounts")
        req.add_header("Authorization", "Bearer dev-root-1")
        with urllib.request.urlopen(req) as r:
            self.assertEqual(r.status, 200)
            self.assertEqual(r.headers["Content-Type"], "application/json")
            self.assertEqual(r.headers["Cache-Control"], "no-store")

    def test_envelope_shape(self):
        status, body = self.srv.request("GET", "/v1/sys/mounts")
        self.assertEqual(status, 200)
        for key in ("request_id", "lease_id", "renewable", "lease_duration",
                    "data", "wrap_info", "warnings", "auth", "mount_type"):
            self.assertIn(key, body)
        self.assertIsNone(body["warnings"])
        self.assertEqual(len(body["request_id"]), 36)
        status, body = self.srv.request("GET", "/v1/secret/data/missing")
        self.assertEqual((status, body), (404, {"errors": []}))

    def test_mount_enable_tune_disable(self):
        c = self.c
        c.sys.enable_secrets_engine("kv", path="team/app",
                                    description="team kv")
        c.write("team/app/one", value="1")
        self.assertEqual(c.read("team/app/one")["data"]["value"], "1")
        mounts = c.sys.list_mounted_secrets_engines()["data"]
        self.assertEqual(mounts["team/app/"]["description"], "team kv")

        c.sys.tune_mount_configuration("team/app", default_lease_ttl="1h",
                                       max_lease_ttl="2h")
        tuned = c.sys.read_mount_configuration("team/app")
        self.assertEqual(tuned["data"]["default_lease_ttl"], 3600)
        self.assertEqual(tuned["data"]["max_lease_ttl"], 7200)

        for path in ("team/app", "team", "team/app/sub", "sys", "auth/x"):
            with self.assertRaises(hvac.exceptions.InvalidRequest):
                c.sys.enable_secrets_engine("kv", path=path)

        c.sys.disable_secrets_engine("team/app")
        self.assertIsNone(c.read("team/app/one"))
        # Enabled again, the mount starts empty: the old data is gone.
        c.sys.enable_secrets_engine("kv", path="team/app")
        self.assertIsNone(c.read("team/app/one"))
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            c.sys.disable_secrets_engine("sys")

    def test_health_codes(self):
        status, body = self.srv.request("GET", "/v1/sys/health")
        self.assertEqual(status, 200)
        self.assertFalse(body["sealed"])
        self.assertTrue(body["initialized"])
        status, _ = self.srv.request("GET", "/v1/sys/health?activecode=299")
        self.assertEqual(status, 299)
        resp = self.c.sys.read_health_status(method="HEAD")
        self.assertEqual(resp.status_code, 200)
        self.assertEqual(resp.text, "")

        self.c.sys.seal()
        status, body = self.srv.request("GET", "/v1/sys/health")
        self.assertEqual(status, 503)
        self.assertTrue(body["sealed"])
        status, _ = self.srv.request("GET", "/v1/sys/health?sealedcode=200")
        self.assertEqual(status, 200)
        status, body = self.srv.request("GET", "/v1/sys/mounts")
        self.assertEqual((status, body), (503, {"errors": ["Vault is sealed"]}))
        status, body = self.srv.request("GET", "/v1/sys/seal-status")
        self.assertEqual(status, 200)
        self.assertTrue(body["sealed"])

    def test_tools(self):
        status, body = self.srv.request("POST", "/v1/sys/tools/random/16",
                                        {"format": "hex"})
        self.assertEqual(status, 200, body)
        self.assertEqual(len(body["data"]["random_bytes"]), 32)
        status, body = self.srv.request("POST", "/v1/sys/tools/random", {})
        self.assertEqual(len(base64.b64decode(body["data"]["random_bytes"])),
                         32)
        status, again = self.srv.request("POST", "/v1/sys/tools/random", {})
        self.assertNotEqual(body["data"]["random_bytes"],
                            again["data"]["random_bytes"])

        data = b"coffer"
        for alg, fn in (("sha2-256", hashlib.sha256),
                        ("sha2-512", hashlib.sha512),
                        ("sha3-256", hashlib.sha3_256)):
            status, body = self.srv.request(
                "POST", "/v1/sys/tools/hash/" + alg,
                {"input": base64.b64encode(data).decode()})
            self.assertEqual(status, 200, body)
            self.assertEqual(body["data"]["sum"], fn(data).hexdigest())

    def test_list_forms(self):
        c = self.c
        c.sys.enable_secrets_engine("kv", path="kv1")
        c.write("kv1/dir/a", v="1")
        c.write("kv1/dir/sub/b", v="2")
        want = ["a", "sub/"]
        self.assertEqual(c.list("kv1/dir")["data"]["keys"], want)
        self.assertEqual(c.list("kv1/dir/")["data"]["keys"], want)
        for q in ("true", "True", "1", "t"):
            status, body = self.srv.request("GET", "/v1/kv1/dir?list=" + q)
            self.assertEqual(body["data"]["keys"], want, q)
        status, body = self.srv.request("GET", "/v1/kv1/dir?list=maybe")
        self.assertEqual(status, 400)
        status, body = self.srv.request("LIST", "/v1/kv1/empty")
        self.assertEqual((status, body), (404, {"errors": []}))
        # Percent-encoded segments are decoded before routing.
        c.write("kv1/a b/c%d", v="3")
        status, body = self.srv.request("GET", "/v1/kv1/a%20b/c%25d")
        self.assertEqual(body["data"]["v"], "3")

    def test_internal_ui_mounts(self):
        status, body = self.srv.request(
            "GET", "/v1/sys/internal/ui/mounts/secret/app/db")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"]["path"], "secret/")
        self.assertEqual(body["data"]["type"], "kv")
        self.assertEqual(body["data"]["options"], {"version": "2"})
        status, body = self.srv.request(
            "GET", "/v1/sys/internal/ui/mounts/nowhere/x")
        self.assertEqual(status, 400)

    def test_lookup_self(self):
        data = self.c.lookup_token()["data"]
        self.assertEqual(data["policies"], ["root"])
        self.assertEqual(data["id"], "dev-root-1")
        self.assertIsNone(data["expire_time"])
        self.assertTrue(data["accessor"])


if __name__ == "__main__":
    main()

"""Paths and mounts that should not be (perf-security.md B4 14, 15, 18):
writes to a path ending in "/", mounts over reserved or overlapping
paths and with hostile names, and very deep or long keys. Each answer is
a clean 4xx (or a success for what is legal), never a 500, and what was
refused is not there afterwards."""

from harness import ServerTest, main


class Paths(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="root").start()
        self.c = self.srv.client()
        self.c.sys.enable_secrets_engine("kv", path="kv1")

    def mounts(self):
        return self.c.sys.list_mounted_secrets_engines()["data"]

    def test_writes_to_a_directory_path_refused(self):
        for method, path, body in (
                ("PUT", "kv1/dir/", {"v": "x"}),
                ("POST", "secret/data/dir/", {"data": {"v": "x"}}),
                ("POST", "secret/metadata/dir/", {"max_versions": 2}),
                ("PUT", "cubbyhole/dir/", {"v": "x"})):
            status, out = self.srv.request(method, "/v1/" + path, body)
            self.assertIn(status, (400, 404, 405), (path, out))
        status, _ = self.srv.request("LIST", "/v1/kv1/")
        self.assertEqual(status, 404)
        status, _ = self.srv.request("LIST", "/v1/secret/metadata/")
        self.assertEqual(status, 404)
        # One canonical form: doubled slashes name the same key.
        self.c.write("kv1/a/b", v="1")
        status, out = self.srv.request("GET", "/v1/kv1//a//b")
        self.assertEqual((status, out["data"]), (200, {"v": "1"}))
        self.assertEqual(self.c.list("kv1/a")["data"]["keys"], ["b"])

    def test_mount_edge_cases(self):
        before = set(self.mounts())
        for path in ("sys", "sys/x", "auth", "auth/x", "cubbyhole",
                     "identity", "a/../b", "..", ".",
                     "with%20space", "%C3%A9t%C3%A9", "x" * 4096,
                     "kv1", "kv1/inner", "a%00b"):
            status, out = self.srv.request("POST", "/v1/sys/mounts/" + path,
                                           {"type": "kv"})
            self.assertIn(status, (400, 404, 414, 431), (path[:20], out))
        # A mount above an existing one is refused too.
        self.c.sys.enable_secrets_engine("kv", path="deep/inner")
        status, out = self.srv.request("POST", "/v1/sys/mounts/deep",
                                       {"type": "kv"})
        self.assertEqual(status, 400, out)
        self.assertEqual(set(self.mounts()), before | {"deep/inner/"})
        self.assertTrue(self.srv.alive())

    def test_deep_and_long_keys(self):
        deep = "/".join(["s"] * 600)
        long_key = "k" * 3072
        for path in (deep, long_key, deep + "/" + long_key):
            for method, url, body in (
                    ("PUT", "/v1/kv1/" + path, {"v": "x"}),
                    ("POST", "/v1/secret/data/" + path,
                     {"data": {"v": "x"}})):
                status, out = self.srv.request(method, url, body)
                self.assertIn(status, (200, 204, 400, 414, 431),
                              (url[:40], out))
                if status in (200, 204):
                    status, got = self.srv.request("GET", url)
                    self.assertEqual(status, 200, url[:40])
                else:
                    status, _ = self.srv.request("GET", url)
                    self.assertIn(status, (400, 404, 414, 431))
        self.assertTrue(self.srv.alive())
        # Still serving the ordinary keys.
        self.c.write("kv1/plain", v="ok")
        self.assertEqual(self.c.read("kv1/plain")["data"], {"v": "ok"})


if __name__ == "__main__":
    main()

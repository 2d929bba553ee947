"""Namespaces: creation and nesting, selection by header or path prefix,
separate mounts, deletion, and hostile names."""

from harness import ServerTest, main


class Namespaces(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True).start()

    def req(self, method, path, body=None, ns=None, token=None):
        headers = {"X-Vault-Namespace": ns} if ns is not None else {}
        return self.srv.request(method, path, body, token=token,
                                headers=headers)

    def test_create_nest_select(self):
        status, body = self.req("POST", "/v1/sys/namespaces/team-a")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"]["path"], "team-a/")
        # A child is created inside the caller's namespace.
        status, body = self.req("POST", "/v1/sys/namespaces/ci", ns="team-a")
        self.assertEqual(body["data"]["path"], "team-a/ci/")
        status, body = self.req("LIST", "/v1/sys/namespaces")
        self.assertEqual(body["data"]["keys"], ["team-a/"])
        status, body = self.req("LIST", "/v1/sys/namespaces", ns="team-a/")
        self.assertEqual(body["data"]["keys"], ["ci/"])

        # A mount in team-a/ci, reached by header, by path, and by both.
        status, _ = self.req("POST", "/v1/sys/mounts/kv", {"type": "kv"},
                             ns="team-a/ci")
        self.assertEqual(status, 204)
        status, _ = self.req("PUT", "/v1/team-a/ci/kv/x", {"v": "deep"})
        self.assertEqual(status, 204)
        for path, ns in (("/v1/kv/x", "team-a/ci"),
                         ("/v1/ci/kv/x", "team-a"),
                         ("/v1/team-a/ci/kv/x", None)):
            status, body = self.req("GET", path, ns=ns)
            self.assertEqual(status, 200, (path, ns, body))
            self.assertEqual(body["data"]["v"], "deep")

        # Mounts do not leak across namespaces.
        status, body = self.req("GET", "/v1/kv/x")
        self.assertEqual(status, 404)
        status, body = self.req("GET", "/v1/kv/x", ns="team-a")
        self.assertEqual(status, 404)
        status, body = self.req("GET", "/v1/sys/mounts", ns="team-a/ci")
        self.assertIn("kv/", body["data"])
        status, body = self.req("GET", "/v1/sys/mounts")
        self.assertNotIn("kv/", body["data"])

    def test_delete(self):
        self.req("POST", "/v1/sys/namespaces/t")
        self.req("POST", "/v1/sys/namespaces/t/child")
        self.req("POST", "/v1/sys/mounts/kv", {"type": "kv"}, ns="t")
        self.req("PUT", "/v1/t/kv/x", {"v": "1"})
        status, _ = self.req("POST", "/v1/identity/entity",
                             {"name": "ci-bot"}, ns="t")
        self.assertEqual(status, 200)
        status, body = self.req("DELETE", "/v1/sys/namespaces/t")
        self.assertEqual(status, 400)
        self.assertIn("child", body["errors"][0])
        status, _ = self.req("DELETE", "/v1/sys/namespaces/t/child")
        self.assertEqual(status, 204)
        status, _ = self.req("DELETE", "/v1/sys/namespaces/t")
        self.assertEqual(status, 204)
        status, body = self.req("GET", "/v1/kv/x", ns="t")
        self.assertEqual(status, 404)
        # Made again, the namespace starts empty: no mounts, no entities.
        self.req("POST", "/v1/sys/namespaces/t")
        status, body = self.req("GET", "/v1/sys/mounts", ns="t")
        self.assertNotIn("kv/", body["data"])
        status, body = self.req("GET", "/v1/identity/entity/name/ci-bot",
                                ns="t")
        self.assertEqual(status, 404, body)

    def test_hostile_names(self):
        for name in ("root", "ROOT", "sys", "a/../b", "..", ".", "a*",
                     "a+b", "a%20b", "x" * 100):
            status, body = self.req("POST", "/v1/sys/namespaces/" + name)
            self.assertIn(status, (400, 404), (name, body))
        status, body = self.req("POST", "/v1/sys/namespaces/no/parent")
        self.assertEqual(status, 400)
        status, body = self.req("GET", "/v1/sys/mounts", ns="ghost")
        self.assertEqual(status, 404)
        status, body = self.req("LIST", "/v1/sys/namespaces")
        self.assertEqual(status, 404)  # none were made

    def test_survives_restart(self):
        srv = self.server().start()
        init = srv.client().sys.initialize(secret_shares=1,
                                           secret_threshold=1)
        srv.root_token = init["root_token"]
        srv.client().sys.submit_unseal_key(init["keys"][0])
        srv.request("POST", "/v1/sys/namespaces/keep")
        srv.request("POST", "/v1/sys/mounts/kv", {"type": "kv"},
                    headers={"X-Vault-Namespace": "keep"})
        srv.request("PUT", "/v1/keep/kv/x", {"v": "kept"})
        srv.restart()
        srv.client().sys.submit_unseal_key(init["keys"][0])
        status, body = srv.request("GET", "/v1/keep/kv/x")
        self.assertEqual((status, body["data"]["v"]), (200, "kept"))


if __name__ == "__main__":
    main()

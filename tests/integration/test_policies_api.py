"""ACL policies over the API as Vault clients use it: hvac's sys/policy
calls, the sys/policies/acl routes, bad policies, the built-in policies,
capabilities-self/-accessor for the root token, and persistence across a
seal and a restart."""

import base64
import json

import hvac
import hvac.exceptions

from harness import ServerTest, main

APP_HCL = """
# the app's secrets
path "secret/data/app/*" {
  capabilities = ["create", "read", "update", "list"]
}
path "secret/metadata/app/*" { capabilities = ["list"] }
"""


class PoliciesApi(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="root").start()
        self.c = self.srv.client()

    def test_hvac_policy_lifecycle(self):
        c = self.c
        c.sys.create_or_update_policy(name="App", policy=APP_HCL)
        # Names are lowercased; the text comes back as written.
        got = c.sys.read_policy(name="app")
        self.assertEqual(got["data"], {"name": "app", "rules": APP_HCL})
        self.assertEqual(got["rules"], APP_HCL)  # legacy top-level copy
        self.assertEqual(c.get_policy("APP"), APP_HCL)

        listed = c.sys.list_policies()
        self.assertEqual(listed["data"]["policies"],
                         ["app", "default", "root"])
        self.assertEqual(listed["data"]["keys"], ["app", "default", "root"])
        self.assertEqual(listed["policies"], ["app", "default", "root"])
        self.assertEqual(c.list_policies(), ["app", "default", "root"])

        # hvac serialises a dict policy as pretty-printed JSON.
        c.sys.create_or_update_policy(name="json-pol", policy={
            "path": {"secret/*": {"capabilities": ["read"]},
                     "auth/token/lookup-self": {"policy": "read"}}})
        self.assertIn('"capabilities"',
                      c.sys.read_policy(name="json-pol")["data"]["rules"])

        c.sys.delete_policy(name="APP")
        with self.assertRaises(hvac.exceptions.InvalidPath):
            c.sys.read_policy(name="app")
        self.assertIsNone(c.get_policy("app"))
        self.assertEqual(c.list_policies(), ["default", "json-pol", "root"])

    def test_legacy_rules_and_base64(self):
        # hvac's old set_policy and node-vault send "rules".
        status, body = self.srv.request(
            "PUT", "/v1/sys/policy/legacy",
            body={"rules": 'path "x/*" { policy = "write" }'})
        self.assertEqual(status, 200)
        self.assertIn("'rules' is deprecated, please use 'policy' instead",
                      body["warnings"])
        self.assertEqual(self.c.get_policy("legacy"),
                         'path "x/*" { policy = "write" }')

        text = 'path "b64/*" { capabilities = ["read"] }'
        status, _ = self.srv.request(
            "PUT", "/v1/sys/policy/enc",
            body={"policy": base64.b64encode(text.encode()).decode()})
        self.assertEqual(status, 204)
        self.assertEqual(self.c.get_policy("enc"), text)

    def test_acl_routes(self):
        srv = self.srv
        status, _ = srv.request("PUT", "/v1/sys/policies/acl/Team",
                                body={"policy": APP_HCL})
        self.assertEqual(status, 204)
        status, body = srv.request("GET", "/v1/sys/policies/acl/team")
        self.assertEqual(status, 200)
        self.assertEqual(body["data"], {"name": "team", "policy": APP_HCL})
        self.assertNotIn("policy", body)  # no top-level copy here

        for method, path in (("LIST", "/v1/sys/policies/acl"),
                             ("GET", "/v1/sys/policies/acl?list=true"),
                             ("LIST", "/v1/sys/policies/acl/")):
            status, body = srv.request(method, path)
            self.assertEqual(status, 200, path)
            self.assertEqual(body["data"]["keys"],
                             ["default", "root", "team"])

        # Both route families see the same store.
        self.assertEqual(self.c.get_policy("team"), APP_HCL)
        status, _ = srv.request("DELETE", "/v1/sys/policies/acl/team")
        self.assertEqual(status, 204)
        status, body = srv.request("GET", "/v1/sys/policies/acl/team")
        self.assertEqual((status, body), (404, {"errors": []}))
        # Deleting what is not there is not an error.
        status, _ = srv.request("DELETE", "/v1/sys/policies/acl/team")
        self.assertEqual(status, 204)

    def test_bad_policies_are_refused(self):
        srv = self.srv
        cases = [
            ('path "a" {\n  capabilities = ["reed"]\n}', "line 2"),
            ('path "a" {\n capabilities = ["read"]\n'
             ' capabilities = ["list"]\n}', "duplicate attribute"),
            ('path "a/*/b" { capabilities = ["read"] }', "'*'"),
            ('path "a" { policy = "admin" }', "policy must be"),
            ('path "a" {', "line 1"),
            ('{"path": {"a": {"capabilities": ["fly"]}}}', "fly"),
        ]
        for text, want in cases:
            status, body = srv.request("PUT", "/v1/sys/policy/bad",
                                       body={"policy": text})
            self.assertEqual(status, 400, text)
            self.assertIn("failed to parse policy", body["errors"][0])
            self.assertIn(want, body["errors"][0])
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.sys.create_or_update_policy(name="bad",
                                               policy='path "a" {')
        for body in ({}, {"policy": ""}, {"policy": None}, {"policy": 5}):
            status, _ = srv.request("PUT", "/v1/sys/policy/bad", body=body)
            self.assertEqual(status, 400, body)
        # Nothing was stored by any of them.
        self.assertNotIn("bad", self.c.list_policies())

    def test_builtin_policies_protected(self):
        srv, c = self.srv, self.c
        for name in ("root", "Root", " root"):
            status, body = srv.request(
                "PUT", "/v1/sys/policy/" + name.replace(" ", "%20"),
                body={"policy": 'path "*" { capabilities = ["read"] }'})
            self.assertEqual(status, 400, name)
            self.assertIn("cannot update root policy", body["errors"][0])
        for name in ("root", "default", "DEFAULT"):
            for prefix in ("/v1/sys/policy/", "/v1/sys/policies/acl/"):
                status, body = srv.request("DELETE", prefix + name)
                self.assertEqual(status, 400, prefix + name)
                self.assertIn("cannot delete", body["errors"][0])

        default = c.get_policy("default")
        self.assertIn("auth/token/lookup-self", default)
        self.assertIn("cubbyhole/*", default)
        self.assertEqual(c.get_policy("root"), "")
        # default may be edited.
        c.sys.create_or_update_policy(name="default",
                                      policy='path "x" { policy = "read" }')
        self.assertEqual(c.get_policy("default"),
                         'path "x" { policy = "read" }')
        # Unknown and unreadable names are a plain 404.
        for name in ("nope", "a%2Fb"):
            status, body = srv.request("GET", "/v1/sys/policy/" + name)
            self.assertEqual((status, body), (404, {"errors": []}), name)

    def test_capabilities_of_root_token(self):
        srv, c = self.srv, self.c
        status, body = srv.request(
            "POST", "/v1/sys/capabilities-self",
            body={"paths": ["secret/data/x", "sys/mounts"]})
        self.assertEqual(status, 200)
        self.assertEqual(body["data"], {"secret/data/x": ["root"],
                                        "sys/mounts": ["root"]})
        self.assertEqual(body["sys/mounts"], ["root"])
        self.assertNotIn("capabilities", body["data"])

        # One path also answers "capabilities"; legacy "path" works.
        status, body = srv.request("POST", "/v1/sys/capabilities-self",
                                   body={"path": "secret/data/x"})
        self.assertEqual(status, 200)
        self.assertEqual(body["data"]["capabilities"], ["root"])
        self.assertEqual(body["capabilities"], ["root"])

        got = c.sys.get_capabilities(paths=["a/b"])
        self.assertEqual(got["data"]["a/b"], ["root"])
        got = c.sys.get_capabilities(paths=["a/b"], token="root")
        self.assertEqual(got["data"]["capabilities"], ["root"])
        accessor = c.lookup_token()["data"]["accessor"]
        got = c.sys.get_capabilities(paths=["a/b", "c"], accessor=accessor)
        self.assertEqual(got["data"], {"a/b": ["root"], "c": ["root"]})

    def test_capabilities_bad_input(self):
        srv = self.srv
        for path, body, want in (
                ("capabilities-self", {}, "paths must be supplied"),
                ("capabilities-self", {"paths": []},
                 "paths must be supplied"),
                ("capabilities", {"token": "nope", "paths": ["a"]},
                 "invalid token"),
                ("capabilities", {"paths": ["a"]}, "missing token"),
                ("capabilities-accessor",
                 {"accessor": "nope", "paths": ["a"]}, "invalid accessor"),
                ("capabilities-accessor",
                 {"accessor": "../id/x", "paths": ["a"]},
                 "invalid accessor"),
        ):
            status, got = srv.request("POST", "/v1/sys/" + path, body=body)
            self.assertEqual(status, 400, (path, body))
            self.assertIn(want, got["errors"][0])
        status, _ = srv.request("GET", "/v1/sys/capabilities-self")
        self.assertEqual(status, 405)
        # Without a valid token nothing is answered.
        status, _ = srv.request("POST", "/v1/sys/capabilities-self",
                                body={"paths": ["a"]}, token="bad")
        self.assertEqual(status, 403)


class PoliciesPersist(ServerTest):
    def test_policies_survive_seal_and_restart(self):
        srv = self.server().start()
        c = srv.client()
        init = c.sys.initialize(secret_shares=1, secret_threshold=1)
        key = init["keys"][0]
        c.sys.submit_unseal_key(key)
        c = srv.client(init["root_token"])
        c.sys.create_or_update_policy(name="kept", policy=APP_HCL)
        self.assertEqual(c.list_policies(), ["default", "kept", "root"])

        c.sys.seal()
        with self.assertRaises(hvac.exceptions.VaultDown):
            c.sys.read_policy(name="kept")
        c.sys.submit_unseal_key(key)
        self.assertEqual(c.get_policy("kept"), APP_HCL)

        srv.restart()
        c = srv.client(init["root_token"])
        c.sys.submit_unseal_key(key)
        self.assertEqual(c.get_policy("kept"), APP_HCL)
        self.assertIn("auth/token/lookup-self", c.get_policy("default"))
        # The stored form is sealed: the policy text is not in the file.
        with open(srv.db_path, "rb") as f:
            self.assertNotIn(b"secret/data/app", f.read())


if __name__ == "__main__":
    main()

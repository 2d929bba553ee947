"""Namespaces as tenants, seen through their tokens: a token made in
namespace A with an admin policy of A runs A (mounts, policies, child
namespaces, tokens) and reaches nothing of namespace B or of the root
namespace, by header, by path prefix, or by the header tricks of
perf-security.md B4 19; accessors stay inside their tenant (B4 36)."""

import time

import hvac
import hvac.exceptions

from harness import ServerTest, main

ADMIN = 'path "*" { capabilities = ["create", "read", "update", ' \
        '"delete", "list", "sudo"] }'


class NamespaceTokens(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="root").start()
        self.c = self.srv.client()
        # The root namespace has a policy "admin" too, granting little:
        # a token of A must get A's "admin", never this one.
        self.c.sys.create_or_update_policy(
            "admin", 'path "secret/data/public" { capabilities = ["read"] }')
        self.c.secrets.kv.v2.create_or_update_secret(
            path="root-secret", secret={"v": "root"}, mount_point="secret")
        for ns in ("A", "B"):
            self.root_req("POST", "sys/namespaces/" + ns)
            self.root_req("PUT", "sys/policy/admin", {"policy": ADMIN}, ns)
            self.root_req("POST", "sys/mounts/kv", {"type": "kv"}, ns)
            self.root_req("PUT", "kv/secret", {"v": ns}, ns)
        self.b_token = self.make_token("B")
        self.root_child = self.c.auth.token.create(policies=["admin"])["auth"]
        self.a = self.make_token("A")

    def root_req(self, method, path, body=None, ns=None):
        headers = {"X-Vault-Namespace": ns} if ns else None
        status, out = self.srv.request(method, "/v1/" + path, body,
                                       headers=headers)
        self.assertLess(status, 300, (method, path, ns, out))
        return out

    def make_token(self, ns):
        out = self.root_req("POST", "auth/token/create",
                            {"policies": ["admin"]}, ns)
        return out["auth"]

    def req(self, method, path, body=None, ns=None, token=None):
        headers = {"X-Vault-Namespace": ns} if ns is not None else None
        tok = self.a["client_token"] if token is None else token
        return self.srv.request(method, "/v1/" + path, body, token=tok,
                                headers=headers)

    def status(self, *args, **kw):
        return self.req(*args, **kw)[0]

    def test_admin_runs_its_namespace(self):
        a = self.a
        self.assertEqual(a["policies"], ["admin", "default"])
        # Mounts, secrets and policies of A.
        self.assertEqual(self.status("POST", "sys/mounts/mine",
                                     {"type": "kv", "options":
                                      {"version": "2"}}, ns="A"), 204)
        self.assertEqual(self.status("POST", "mine/data/x",
                                     {"data": {"v": "1"}}, ns="A"), 200)
        status, out = self.req("GET", "kv/secret", ns="A")
        self.assertEqual((status, out["data"]), (200, {"v": "A"}))
        # The path prefix names the same namespace as the header.
        status, out = self.req("GET", "A/kv/secret")
        self.assertEqual((status, out["data"]), (200, {"v": "A"}))
        self.assertEqual(self.status("PUT", "sys/policy/reader",
                                     {"policy": 'path "kv/*" '
                                      '{ capabilities = ["read"] }'},
                                     ns="A"), 204)
        status, out = self.req("GET", "sys/policy", ns="A")
        self.assertIn("reader", out["data"]["keys"])
        status, out = self.req("GET", "sys/mounts", ns="A")
        self.assertIn("mine/", out["data"])

        # A child namespace, its mount, a token there.
        self.assertEqual(self.status("POST", "sys/namespaces/child",
                                     ns="A"), 200)
        self.assertEqual(self.status("POST", "sys/mounts/kv",
                                     {"type": "kv"}, ns="A/child"), 204)
        self.assertEqual(self.status("PUT", "child/kv/deep", {"v": "d"},
                                     ns="A"), 204)
        status, out = self.req("GET", "A/child/kv/deep")
        self.assertEqual(out["data"], {"v": "d"})
        # Not a subset of its own policies: only through a role of A.
        status, out = self.req("POST", "auth/token/create",
                               {"policies": ["reader"]}, ns="A")
        self.assertEqual(status, 400, out)
        self.assertEqual(self.status("POST", "auth/token/roles/readers",
                                     {"allowed_policies": ["reader"]},
                                     ns="A"), 204)
        status, out = self.req("POST", "auth/token/create/readers",
                               {"policies": ["reader"]}, ns="A")
        self.assertEqual(status, 200, out)
        reader = out["auth"]["client_token"]
        self.assertEqual(self.status("GET", "kv/secret", ns="A",
                                     token=reader), 200)
        self.assertEqual(self.status("PUT", "kv/secret", {"v": "no"},
                                     ns="A", token=reader), 403)
        # Its accessors are listed in A, and only A's.
        status, out = self.req("LIST", "auth/token/accessors", ns="A")
        self.assertEqual(status, 200, out)
        self.assertIn(a["accessor"], out["data"]["keys"])
        self.assertNotIn(self.b_token["accessor"], out["data"]["keys"])
        self.assertNotIn(self.root_child["accessor"], out["data"]["keys"])

        # The admin of the root namespace sees A's policy through A only.
        status, out = self.srv.request("GET", "/v1/sys/policy/reader")
        self.assertEqual(status, 404)

    def test_nothing_of_b_or_root(self):
        # Everything the admin could do at home, tried elsewhere.
        tries = [
            ("GET", "kv/secret", None),
            ("PUT", "kv/secret", {"v": "taken"}),
            ("PUT", "kv/new", {"v": "x"}),
            ("LIST", "kv/", None),
            ("DELETE", "kv/secret", None),
            ("GET", "sys/policy/admin", None),
            ("PUT", "sys/policy/admin", {"policy": 'path "x" '
                                         '{ capabilities = ["read"] }'}),
            ("PUT", "sys/policy/planted", {"policy": ADMIN}),
            ("DELETE", "sys/policy/admin", None),
            ("LIST", "sys/policy", None),
            ("GET", "sys/mounts", None),
            ("POST", "sys/mounts/planted", {"type": "kv"}),
            ("DELETE", "sys/mounts/kv", None),
            ("POST", "sys/namespaces/planted", None),
            ("LIST", "sys/namespaces", None),
            ("POST", "auth/token/create", {"policies": ["admin"]}),
            ("GET", "secret/data/root-secret", None),
            ("POST", "secret/data/root-secret", {"data": {"v": "taken"}}),
        ]
        where = [
            ("B", None), (None, "B/"), ("", None), (None, ""),
            # B4 19: header tricks.
            ("root", None), ("ROOT", None), ("/", None), ("A/..", None),
            ("A/../B", None), ("..", None), ("A", "../B/"),
            ("A", "../"), ("A/", "/B/"), ("B", "../A/"),
            ("A%2F..%2FB", None), ("A/./../B", None), (" B", None),
        ]
        for method, path, body in tries:
            for ns, prefix in where:
                status, out = self.req(method, (prefix or "") + path, body,
                                       ns=ns)
                self.assertIn(status, (400, 403, 404),
                              (method, path, ns, prefix, out))
                if status == 200 or not out:
                    continue
                self.assertNotIn('"v"', str(out.get("data")))
        self.assert_b_and_root_untouched()

    def assert_b_and_root_untouched(self):
        out = self.root_req("GET", "kv/secret", ns="B")
        self.assertEqual(out["data"], {"v": "B"})
        status, _ = self.srv.request("GET", "/v1/B/kv/new")
        self.assertEqual(status, 404)
        for ns in ("B", None):
            out = self.root_req("GET", "sys/policy", ns=ns)
            self.assertNotIn("planted", out["data"]["keys"])
            self.assertIn("admin", out["data"]["keys"])
            out = self.root_req("GET", "sys/mounts", ns=ns)
            self.assertNotIn("planted/", out["data"])
        out = self.root_req("GET", "sys/policy/admin", ns="B")
        self.assertEqual(out["data"]["rules"], ADMIN)
        out = self.root_req("GET", "sys/policy/admin")
        self.assertIn("secret/data/public", out["data"]["rules"])
        self.assertIn("kv/", self.root_req("GET", "sys/mounts",
                                           ns="B")["data"])
        out = self.root_req("LIST", "sys/namespaces")
        self.assertEqual(sorted(out["data"]["keys"]), ["A/", "B/"])
        got = self.c.secrets.kv.v2.read_secret_version(
            path="root-secret", mount_point="secret")
        self.assertEqual(got["data"]["data"], {"v": "root"})

    def test_accessors_stay_in_their_tenant(self):
        others = (self.b_token, self.root_child)
        for other in others:
            acc = other["accessor"]
            for method, path, body in (
                    ("POST", "auth/token/lookup-accessor",
                     {"accessor": acc}),
                    ("POST", "auth/token/renew-accessor",
                     {"accessor": acc}),
                    ("POST", "auth/token/revoke-accessor",
                     {"accessor": acc}),
                    ("POST", "auth/token/lookup",
                     {"token": other["client_token"]}),
                    ("POST", "auth/token/revoke",
                     {"token": other["client_token"]}),
                    ("POST", "sys/capabilities-accessor",
                     {"accessor": acc, "paths": ["kv/x"]}),
                    ("POST", "sys/capabilities",
                     {"token": other["client_token"],
                      "paths": ["kv/x"]})):
                status, out = self.req(method, path, body, ns="A")
                # Revoking an unknown token is no error, as in Vault.
                ok = (400, 403, 204) if path == "auth/token/revoke" \
                    else (400, 403)
                self.assertIn(status, ok, (path, out))
                self.assertNotIn(other["client_token"], str(out))
                self.assertTrue(self.alive(other), path)

    def alive(self, auth):
        ns = "B" if auth is self.b_token else None
        if auth is not self.b_token and auth is not self.root_child:
            ns = "A"
        headers = {"X-Vault-Namespace": ns} if ns else None
        status, _ = self.srv.request("GET", "/v1/auth/token/lookup-self",
                                     token=auth["client_token"],
                                     headers=headers)
        return status == 200

    def test_lease_prefixes_stay_in_their_tenant(self):
        # B4 49: revoke-prefix and revoke-force from A, even with sudo and
        # hostile prefixes, end only A's leases.
        spare = self.make_token("A")
        status, out = self.req("LIST", "sys/leases/lookup/auth/token/create/",
                               ns="A")
        self.assertEqual(status, 200, out)
        self.assertEqual(len(out["data"]["keys"]), 2)
        for path in ("sys/leases/revoke-prefix/../auth/token/create",
                     "sys/leases/revoke-force/..",
                     "sys/leases/revoke-prefix/B/auth/token/create",
                     "sys/leases/revoke-force/B/",
                     "sys/revoke-prefix/..%2Fauth%2Ftoken"):
            status, out = self.req("PUT", path, ns="A")
            self.assertIn(status, (204, 400, 403, 404), (path, out))
            self.assertTrue(self.alive(self.b_token), path)
            self.assertTrue(self.alive(self.root_child), path)
            self.assertTrue(self.alive(spare), path)
        # Looking up a root lease id from A finds nothing.
        keys = self.c.sys.list_leases("auth/token/create/")["data"]["keys"]
        for k in keys:
            status, out = self.req("PUT", "sys/leases/lookup",
                                   {"lease_id": "auth/token/create/" + k},
                                   ns="A")
            self.assertIn(status, (400, 403, 404), out)
        # The real thing ends A's own tokens, and only those.
        status, _ = self.req("PUT",
                             "sys/leases/revoke-prefix/auth/token/create",
                             ns="A", token=spare["client_token"])
        self.assertEqual(status, 204)
        self.assertFalse(self.alive(spare))
        self.assertTrue(self.alive(self.b_token))
        self.assertTrue(self.alive(self.root_child))

    def test_tokens_of_b_fail_in_a(self):
        b = self.b_token["client_token"]
        for ns, path in (("A", "kv/secret"), (None, "A/kv/secret"),
                         ("A", "sys/policy/admin"), (None, "sys/mounts")):
            status, out = self.req("GET", path, ns=ns, token=b)
            self.assertEqual(status, 403, (ns, path, out))
            self.assertEqual(out["errors"], ["permission denied"])
        # The root namespace's hvac client with B's token: Forbidden.
        with self.assertRaises(hvac.exceptions.Forbidden):
            hvac.Client(url=self.srv.addr, token=b).read("A/kv/secret")

    def test_root_namespace_token_follows_namespace_paths(self):
        # A token of the root namespace reaches A only as its policy says,
        # with A's paths prefixed by "A/".
        self.c.sys.create_or_update_policy(
            "a-reader", 'path "A/kv/*" { capabilities = ["read"] }')
        tok = self.c.auth.token.create(policies=["a-reader"])["auth"]
        t = tok["client_token"]
        self.assertEqual(self.status("GET", "A/kv/secret", token=t), 200)
        self.assertEqual(self.status("GET", "kv/secret", ns="A", token=t),
                         200)
        self.assertEqual(self.status("GET", "B/kv/secret", token=t), 403)
        self.assertEqual(self.status("PUT", "A/kv/secret", {"v": "w"},
                                     token=t), 403)


class NamespaceTokensRestart(ServerTest):
    """Tokens and their leases in a namespace survive a restart of a
    SQLite server, keep their tree and tenant, and still expire on time."""

    def test_survive_restart_and_expire(self):
        srv = self.server().start()
        init = srv.client().sys.initialize(secret_shares=1,
                                           secret_threshold=1)
        srv.root_token = init["root_token"]
        key = init["keys"][0]
        srv.client().sys.submit_unseal_key(key)
        ns = {"X-Vault-Namespace": "team"}

        def req(method, path, body=None, token=None, headers=ns):
            return srv.request(method, "/v1/" + path, body, token=token,
                               headers=headers)

        self.assertEqual(req("POST", "sys/namespaces/team",
                             headers=None)[0], 200)
        req("PUT", "sys/policy/admin", {"policy": ADMIN})
        req("POST", "sys/mounts/kv", {"type": "kv"})
        req("PUT", "kv/x", {"v": "kept"})
        made = {}
        for name, ttl in (("short", "4s"), ("long", "1h"),
                          ("parent", "1h")):
            status, out = req("POST", "auth/token/create",
                              {"policies": ["admin"], "ttl": ttl})
            self.assertEqual(status, 200, out)
            made[name] = out["auth"]
        status, out = req("POST", "auth/token/create",
                          {"policies": ["admin"], "ttl": "1h"},
                          token=made["parent"]["client_token"])
        made["kid"] = out["auth"]
        started = time.time()
        status, out = req("LIST", "sys/leases/lookup/auth/token/create/")
        self.assertEqual(status, 200, out)
        self.assertEqual(len(out["data"]["keys"]), 4)

        srv.restart()
        srv.client().sys.submit_unseal_key(key)
        for name in ("short", "long", "kid"):
            status, out = req("GET", "kv/x",
                              token=made[name]["client_token"])
            self.assertEqual((status, out["data"]), (200, {"v": "kept"}),
                             name)
            # Still of its tenant only.
            status, _ = srv.request("GET", "/v1/sys/mounts",
                                    token=made[name]["client_token"])
            self.assertEqual(status, 403, name)
        status, out = req("LIST", "sys/leases/lookup/auth/token/create/")
        self.assertEqual(len(out["data"]["keys"]), 4)
        # The tree survived: revoking the parent takes the kid.
        req("POST", "auth/token/revoke",
            {"token": made["parent"]["client_token"]})
        status, _ = req("GET", "kv/x", token=made["kid"]["client_token"])
        self.assertEqual(status, 403)

        # The short one expires on its first schedule, not a new one.
        time.sleep(max(0, 4.5 - (time.time() - started)))
        status, out = req("GET", "kv/x", token=made["short"]["client_token"])
        self.assertEqual(status, 403)
        self.assertIn("permission denied", out["errors"])
        deadline = time.time() + 5
        while time.time() < deadline:
            status, out = req("LIST", "auth/token/accessors")
            keys = out["data"]["keys"]
            if made["short"]["accessor"] not in keys:
                break
            time.sleep(0.1)
        self.assertNotIn(made["short"]["accessor"], keys)
        self.assertIn(made["long"]["accessor"], keys)
        status, out = req("LIST", "sys/leases/lookup/auth/token/create/")
        self.assertEqual(len(out["data"]["keys"]), 1)
        status, _ = req("GET", "kv/x", token=made["long"]["client_token"])
        self.assertEqual(status, 200)


if __name__ == "__main__":
    main()

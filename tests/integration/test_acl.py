"""ACL policies enforced on real requests, as hvac 0.11.2 and plain HTTP
clients make them: tokens holding policies read, write, list and delete,
and every refusal is a 403 "permission denied" after which the object is
as it was (read back with the root token).

Covers the policy semantics of perf-security.md B4: globs and "+" (21,
22), priority within and union across policies (23, 24), KV v2 sub-paths
(25), parameter constraints (27), sudo paths (28), policy life cycle and
the root policy (16, 29), and LIST with a trailing slash (20)."""

import hvac
import hvac.exceptions

from harness import ServerTest, main


class Acl(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="root").start()
        self.c = self.srv.client()
        self.c.sys.enable_secrets_engine("kv", path="kv1")

    # ---- helpers ----

    def policy(self, name, hcl):
        self.c.sys.create_or_update_policy(name, hcl)

    def token(self, *policies, **kw):
        auth = self.c.auth.token.create(policies=list(policies), **kw)
        return auth["auth"]["client_token"]

    def req(self, token, method, path, body=None, headers=None):
        status, out = self.srv.request(method, "/v1/" + path, body=body,
                                       token=token, headers=headers)
        if status == 403:
            self.assertEqual(out["errors"], ["permission denied"],
                             (method, path))
        return status

    def v2_put(self, path, data):
        self.c.secrets.kv.v2.create_or_update_secret(
            path=path, secret=data, mount_point="secret")

    def v2_get(self, path):
        status, out = self.srv.request("GET", "/v1/secret/data/" + path)
        return out["data"]["data"] if status == 200 else None

    def v1_get(self, path):
        status, out = self.srv.request("GET", "/v1/kv1/" + path)
        return out["data"] if status == 200 else None

    def reads(self, token, paths):
        """{path: status} of a GET of each secret/data/<path>."""
        return {p: self.req(token, "GET", "secret/data/" + p) for p in paths}

    # ---- paths, globs and priority ----

    def test_glob_plus_and_exact(self):
        self.policy("p", """
            path "secret/data/app/*" { capabilities = ["read", "create"] }
            path "secret/data/+/shared" { capabilities = ["read"] }
            path "secret/data/exact" { capabilities = ["read"] }
            path "secret/data/app/write-only" { capabilities = ["create"] }
            path "secret/data/+/conf*" { capabilities = ["read"] }
        """)
        names = ["app/a", "app/b/c", "app/write-only", "t1/shared",
                 "t1/other", "t1/x/shared", "shared", "exact", "exactly",
                 "t2/config", "t2/conf", "t2/x/config", "other"]
        for n in names:
            self.v2_put(n, {"n": n})
        tok = self.token("p")
        self.assertEqual(self.reads(tok, names), {
            "app/a": 200, "app/b/c": 200,       # '*' crosses '/'
            "app/write-only": 403,              # exact beats the glob
            "t1/shared": 200, "t1/other": 403,  # '+' is one segment
            "t1/x/shared": 403, "shared": 403,  # never two, never none
            "exact": 200, "exactly": 403,       # no glob, no prefix
            "t2/config": 200, "t2/conf": 200,   # '+' then a glob
            "t2/x/config": 403,
            "other": 403,                       # nothing grants it
        })
        # Paths are case-sensitive: a rule for app/ says nothing of App/.
        self.v2_put("App/a", {"n": "upper"})
        self.assertEqual(self.req(tok, "GET", "secret/data/App/a"), 403)
        self.assertEqual(self.req(tok, "GET", "Secret/data/app/a"), 403)

        # The glob grants create; the exact rule grants no read.
        self.assertEqual(self.req(tok, "POST", "secret/data/app/new",
                                  {"data": {"v": "1"}}), 200)
        self.assertEqual(self.v2_get("app/new"), {"v": "1"})
        # '+' read only: a write through it is refused and did nothing.
        self.assertEqual(self.req(tok, "POST", "secret/data/t1/shared",
                                  {"data": {"n": "changed"}}), 403)
        self.assertEqual(self.v2_get("t1/shared"), {"n": "t1/shared"})

        # The same through hvac: a Forbidden, as applications see it.
        t = hvac.Client(url=self.srv.addr, token=tok)
        got = t.secrets.kv.v2.read_secret_version(path="app/a",
                                                  mount_point="secret")
        self.assertEqual(got["data"]["data"], {"n": "app/a"})
        with self.assertRaises(hvac.exceptions.Forbidden):
            t.secrets.kv.v2.read_secret_version(path="other",
                                                mount_point="secret")

    def test_traversal_spellings_never_escape_a_glob(self):
        # B4 13: the policy sees exactly the path that is routed, so no
        # spelling of "app/../other" reaches other with rights on app/*.
        self.policy("app", 'path "secret/data/app/*" '
                    '{ capabilities = ["read", "create", "update"] }')
        self.v2_put("other", {"v": "other"})
        self.v2_put("app/x", {"v": "x"})
        tok = self.token("app")
        for path in ("secret/data/app/../other", "secret/data/app/./../other",
                     "secret/data/app/%2e%2e/other",
                     "secret/data/app/%2E%2E/other",
                     "secret/data/app/..%2fother",
                     "secret/data/app%2f..%2fother",
                     "secret/data/app/x/../../other"):
            status, out = self.srv.request("GET", "/v1/" + path, token=tok)
            self.assertNotEqual(status, 200, (path, out))
            self.assertIn(status, (400, 403, 404), path)
            status, out = self.srv.request(
                "POST", "/v1/" + path, {"data": {"v": "taken"}}, token=tok)
            self.assertIn(status, (400, 403, 404), path)
        self.assertEqual(self.v2_get("other"), {"v": "other"})
        # Decoded once only: %252e%252e is the literal segment "%2e%2e",
        # a name inside app/ like any other.
        status, out = self.srv.request(
            "POST", "/v1/secret/data/app/%252e%252e/other",
            {"data": {"v": "literal"}}, token=tok)
        self.assertIn(status, (200, 400), out)
        if status == 200:
            self.assertEqual(self.c.secrets.kv.v2.list_secrets(
                path="app", mount_point="secret")["data"]["keys"],
                ["%2e%2e/", "x"])
        self.assertEqual(self.v2_get("other"), {"v": "other"})
        # The plain path still works.
        self.assertEqual(self.req(tok, "GET", "secret/data/app/x"), 200)

    def test_overlapping_globs_most_specific_wins(self):
        # Within one policy: the longer prefix decides, no union.
        self.policy("p", """
            path "secret/data/a*" { capabilities = ["read"] }
            path "secret/data/ab*" { capabilities = ["deny"] }
            path "secret/data/abc/*" { capabilities = ["read"] }
            path "secret/data/q/+/z" { capabilities = ["deny"] }
            path "secret/data/q/*" { capabilities = ["read"] }
        """)
        names = ["aa", "a/x", "ab", "abx", "abc/1", "q/y/z", "q/y/w",
                 "q/z"]
        for n in names:
            self.v2_put(n, {"v": n})
        tok = self.token("p")
        self.assertEqual(self.reads(tok, names), {
            "aa": 200, "a/x": 200, "ab": 403, "abx": 403, "abc/1": 200,
            # the wildcard further right is the more specific rule
            "q/y/z": 403, "q/y/w": 200, "q/z": 200,
        })

    def test_deny_beats_allow_and_union_across_policies(self):
        self.policy("reader", """
            path "secret/data/shared/*" { capabilities = ["read"] }
            path "secret/data/u/*" { capabilities = ["read"] }
            path "secret/data/*" { capabilities = ["read"] }
        """)
        self.policy("blocker", """
            path "secret/data/shared/*" { capabilities = ["deny"] }
            path "secret/data/private" { capabilities = ["deny"] }
        """)
        self.policy("writer", """
            path "secret/data/u/*" { capabilities = ["create", "update"] }
        """)
        for n in ("shared/x", "u/x", "private", "private/x", "open"):
            self.v2_put(n, {"v": n})

        both = self.token("reader", "blocker")
        self.assertEqual(self.reads(both, ["shared/x", "private",
                                           "private/x", "open"]), {
            "shared/x": 403,   # deny in one policy beats read in another
            "private": 403,    # an exact deny beats the glob read
            "private/x": 200,  # the deny is for that path alone (B4 24)
            "open": 200,
        })
        # Read alone cannot write; read + writer can do both.
        reader = self.token("reader")
        self.assertEqual(self.req(reader, "POST", "secret/data/u/x",
                                  {"data": {"v": "w"}}), 403)
        self.assertEqual(self.v2_get("u/x"), {"v": "u/x"})
        union = self.token("reader", "writer")
        self.assertEqual(self.req(union, "POST", "secret/data/u/x",
                                  {"data": {"v": "w"}}), 200)
        self.assertEqual(self.req(union, "GET", "secret/data/u/x"), 200)
        self.assertEqual(self.v2_get("u/x"), {"v": "w"})
        # Order of the policies on the token changes nothing.
        flipped = self.token("blocker", "reader")
        self.assertEqual(self.req(flipped, "GET",
                                  "secret/data/shared/x"), 403)

    def test_list_with_trailing_slash_and_narrower_deny(self):
        self.policy("lister", """
            path "secret/metadata/*" { capabilities = ["list"] }
            path "secret/metadata/restricted/*" { capabilities = ["deny"] }
        """)
        self.v2_put("open/a", {"v": "1"})
        self.v2_put("restricted/a", {"v": "1"})
        tok = self.token("lister")
        self.assertEqual(self.req(tok, "LIST", "secret/metadata/"), 200)
        self.assertEqual(self.req(tok, "LIST", "secret/metadata/open/"),
                         200)
        # Every spelling of the list of restricted/ is refused (B4 20).
        for method, path in (("LIST", "secret/metadata/restricted/"),
                             ("LIST", "secret/metadata/restricted"),
                             ("GET", "secret/metadata/restricted/?list=true"),
                             ("GET", "secret/metadata/restricted?list=true")):
            self.assertEqual(self.req(tok, method, path), 403, path)
        t = hvac.Client(url=self.srv.addr, token=tok)
        with self.assertRaises(hvac.exceptions.Forbidden):
            t.secrets.kv.v2.list_secrets(path="restricted",
                                         mount_point="secret")
        # List grants no read of the data.
        self.assertEqual(self.req(tok, "GET", "secret/data/open/a"), 403)

    # ---- KV version 2 sub-paths (B4 25) ----

    def test_kv2_subpaths_not_implied(self):
        self.policy("data-only", """
            path "secret/data/x" {
              capabilities = ["create", "read", "update", "delete", "list",
                              "patch"]
            }
            path "secret/y" { capabilities = ["read", "list"] }
            path "secret/data/*" { capabilities = ["read"] }
        """)
        self.v2_put("x", {"v": "1"})
        self.v2_put("x", {"v": "2"})
        self.v2_put("y", {"v": "y"})
        tok = self.token("data-only")
        self.assertEqual(self.req(tok, "GET", "secret/data/x"), 200)
        refused = [
            ("GET", "secret/metadata/x", None),
            ("POST", "secret/metadata/x", {"max_versions": 1}),
            ("DELETE", "secret/metadata/x", None),
            ("POST", "secret/delete/x", {"versions": [1]}),
            ("POST", "secret/undelete/x", {"versions": [1]}),
            ("POST", "secret/destroy/x", {"versions": [1, 2]}),
            ("LIST", "secret/metadata/", None),
            ("POST", "secret/config", {"max_versions": 1}),
        ]
        for method, path, body in refused:
            self.assertEqual(self.req(tok, method, path, body), 403,
                             (method, path))
        # Nothing happened: both versions are there and alive.
        meta = self.c.secrets.kv.v2.read_secret_metadata(
            path="x", mount_point="secret")["data"]
        self.assertEqual(meta["max_versions"], 0)
        self.assertEqual(sorted(meta["versions"]), ["1", "2"])
        for v in meta["versions"].values():
            self.assertEqual(v["deletion_time"], "")
            self.assertFalse(v["destroyed"])
        # A v1-style rule (secret/y) gives nothing beyond what the glob
        # secret/data/* does: read, not list or metadata.
        self.assertEqual(self.req(tok, "GET", "secret/data/y"), 200)
        self.assertEqual(self.req(tok, "GET", "secret/metadata/y"), 403)
        # The data delete capability is a soft delete of the latest only.
        self.assertEqual(self.req(tok, "DELETE", "secret/data/x"), 204)
        meta = self.c.secrets.kv.v2.read_secret_metadata(
            path="x", mount_point="secret")["data"]
        self.assertNotEqual(meta["versions"]["2"]["deletion_time"], "")
        self.assertEqual(meta["versions"]["1"]["deletion_time"], "")

    def test_v1_rule_gives_nothing_on_v2(self):
        self.policy("v1-style", 'path "secret/z" { capabilities = '
                    '["create", "read", "update", "delete", "list"] }')
        self.v2_put("z", {"v": "z"})
        tok = self.token("v1-style")
        self.assertEqual(self.req(tok, "GET", "secret/data/z"), 403)
        self.assertEqual(self.req(tok, "POST", "secret/data/z",
                                  {"data": {"v": "new"}}), 403)
        self.assertEqual(self.req(tok, "DELETE", "secret/metadata/z"), 403)
        self.assertEqual(self.v2_get("z"), {"v": "z"})

    # ---- create versus update ----

    def test_create_versus_update_on_kv_v1(self):
        self.policy("updater",
                    'path "kv1/cu/*" { capabilities = ["update", "read"] }')
        self.policy("creator",
                    'path "kv1/cu/*" { capabilities = ["create", "read"] }')
        self.c.write("kv1/cu/existing", v="old")
        up = self.token("updater")
        self.assertEqual(self.req(up, "PUT", "kv1/cu/existing",
                                  {"v": "new"}), 204)
        self.assertEqual(self.v1_get("cu/existing"), {"v": "new"})
        self.assertEqual(self.req(up, "PUT", "kv1/cu/fresh", {"v": "x"}),
                         403)
        self.assertIsNone(self.v1_get("cu/fresh"))

        cr = self.token("creator")
        self.assertEqual(self.req(cr, "PUT", "kv1/cu/fresh", {"v": "x"}),
                         204)
        self.assertEqual(self.v1_get("cu/fresh"), {"v": "x"})
        self.assertEqual(self.req(cr, "PUT", "kv1/cu/existing",
                                  {"v": "overwritten"}), 403)
        self.assertEqual(self.v1_get("cu/existing"), {"v": "new"})
        # Neither may delete.
        self.assertEqual(self.req(cr, "DELETE", "kv1/cu/existing"), 403)
        self.assertEqual(self.v1_get("cu/existing"), {"v": "new"})

    # ---- parameter constraints (B4 27) ----

    def test_allowed_parameters(self):
        self.policy("params", """
            path "kv1/allowed" {
              capabilities = ["create", "update", "read"]
              allowed_parameters = {
                "color" = ["red", "bl*"]
                "size" = []
              }
            }
        """)
        tok = self.token("params")
        cases = [
            ({"color": "red"}, 204),
            ({"color": "blue"}, 204),          # glob value
            ({"size": "any thing"}, 204),      # empty list: any value
            ({"color": "red", "size": 3}, 204),
            ({"color": ["red", "blue"]}, 204),  # every item allowed
            ({"color": "green"}, 403),
            ({"color": "Red"}, 403),           # values keep their case
            ({"color": ["red", "green"]}, 403),
            ({"other": "x"}, 403),             # not listed at all
            ({"color": "red", "other": "x"}, 403),
        ]
        for body, want in cases:
            self.c.delete("kv1/allowed")
            self.assertEqual(self.req(tok, "PUT", "kv1/allowed", body),
                             want, body)
            self.assertEqual(self.v1_get("allowed"),
                             body if want == 204 else None, body)
        # Parameter names compare without case, as in Vault.
        self.assertEqual(self.req(tok, "PUT", "kv1/allowed",
                                  {"COLOR": "red"}), 204)

    def test_denied_and_required_parameters(self):
        self.policy("params", """
            path "kv1/denied" {
              capabilities = ["create", "update"]
              denied_parameters = {
                "secret" = []
                "mode" = ["admin*", "root"]
              }
            }
            path "kv1/required" {
              capabilities = ["create", "update"]
              required_parameters = ["owner", "team"]
            }
            path "kv1/nothing" {
              capabilities = ["create", "update"]
              denied_parameters = { "*" = [] }
            }
        """)
        tok = self.token("params")
        for path, body, want in (
                ("denied", {"mode": "user"}, 204),
                ("denied", {"secret": "x"}, 403),
                ("denied", {"secret": ""}, 403),
                ("denied", {"mode": "admin-ish"}, 403),
                ("denied", {"mode": "root"}, 403),
                ("denied", {"mode": ["user", "root"]}, 403),  # any item
                ("denied", {"Secret": "x"}, 403),
                ("required", {"owner": "a", "team": "b"}, 204),
                ("required", {"owner": "a"}, 403),
                ("required", {}, 403),
                ("nothing", {"a": "1"}, 403)):
            self.c.delete("kv1/" + path)
            self.assertEqual(self.req(tok, "PUT", "kv1/" + path, body),
                             want, (path, body))
            self.assertEqual(self.v1_get(path),
                             body if want == 204 else None, (path, body))

    def test_parameters_in_query_and_body(self):
        self.policy("q", """
            path "kv1/q" {
              capabilities = ["read", "create", "update"]
              denied_parameters = { "evil" = [] }
            }
            path "kv1/needs" {
              capabilities = ["read"]
              required_parameters = ["why"]
            }
        """)
        self.c.write("kv1/q", v="1")
        self.c.write("kv1/needs", v="1")
        tok = self.token("q")
        self.assertEqual(self.req(tok, "GET", "kv1/q"), 200)
        # A read's query parameters are its parameters.
        self.assertEqual(self.req(tok, "GET", "kv1/q?evil=1"), 403)
        self.assertEqual(self.req(tok, "GET", "kv1/needs"), 403)
        self.assertEqual(self.req(tok, "GET", "kv1/needs?why=audit"), 200)
        # A write's parameters are its body, checked the same way.
        self.assertEqual(self.req(tok, "PUT", "kv1/q", {"evil": "x"}), 403)
        self.assertEqual(self.v1_get("q"), {"v": "1"})

    # ---- sudo (B4 28) ----

    def test_sudo_paths(self):
        self.policy("no-sudo", """
            path "sys/rotate" { capabilities = ["update", "create"] }
            path "sys/seal" { capabilities = ["update", "create"] }
            path "sys/auth/*" { capabilities = ["create", "update", "read"] }
            path "sys/audit" { capabilities = ["read", "list"] }
            path "sys/audit/*" { capabilities = ["create", "update"] }
        """)
        self.policy("sudo", """
            path "sys/rotate" { capabilities = ["update", "sudo"] }
            path "sys/audit" { capabilities = ["read", "sudo"] }
            path "sys/auth/*" { capabilities = ["create", "update", "sudo"] }
            path "sys/seal" { capabilities = ["update", "sudo"] }
        """)
        plain = self.token("no-sudo")
        term = self.c.sys.get_encryption_key_status()["term"]
        for method, path, body in (
                ("PUT", "sys/rotate", None),
                ("GET", "sys/audit", None),
                ("PUT", "sys/audit/f", {"type": "file",
                                        "options": {"file_path": "stdout"}}),
                ("POST", "sys/auth/tok2", {"type": "token"}),
                ("PUT", "sys/seal", None)):
            self.assertEqual(self.req(plain, method, path, body), 403,
                             path)
        # Nothing happened: same key term, no audit device, unsealed.
        self.assertEqual(self.c.sys.get_encryption_key_status()["term"],
                         term)
        self.assertEqual(self.c.sys.list_enabled_audit_devices()["data"],
                         {})
        self.assertFalse(self.c.sys.read_seal_status()["sealed"])

        su = self.token("sudo")
        self.assertIn(self.req(su, "PUT", "sys/rotate"), (200, 204))
        self.assertEqual(self.c.sys.get_encryption_key_status()["term"],
                         term + 1)
        self.assertEqual(self.req(su, "GET", "sys/audit"), 200)
        # Past the ACL: an answer from the backend, not a 403.
        self.assertNotEqual(self.req(su, "POST", "sys/auth/tok2",
                                     {"type": "nope"}), 403)
        self.assertIn(self.req(su, "PUT", "sys/seal"), (200, 204))
        self.assertTrue(self.c.sys.read_seal_status()["sealed"])

    # ---- policy life cycle (B4 29, 16) ----

    def test_policy_update_seen_by_live_token(self):
        self.v2_put("live", {"v": "1"})
        self.policy("live", 'path "secret/data/other" '
                    '{ capabilities = ["read"] }')
        tok = self.token("live")
        self.assertEqual(self.req(tok, "GET", "secret/data/live"), 403)
        self.policy("live", 'path "secret/data/live" '
                    '{ capabilities = ["read"] }')
        self.assertEqual(self.req(tok, "GET", "secret/data/live"), 200)
        self.policy("live", 'path "secret/data/live" '
                    '{ capabilities = ["deny"] }')
        self.assertEqual(self.req(tok, "GET", "secret/data/live"), 403)
        self.policy("live", 'path "secret/data/live" '
                    '{ capabilities = ["read"] }')
        self.assertEqual(self.req(tok, "GET", "secret/data/live"), 200)
        self.c.sys.delete_policy("live")
        self.assertEqual(self.req(tok, "GET", "secret/data/live"), 403)
        # Made again under the same name, it applies again.
        self.policy("LIVE", 'path "secret/data/live" '
                    '{ capabilities = ["read"] }')
        self.assertEqual(self.req(tok, "GET", "secret/data/live"), 200)

    def test_policy_names_case_normalised(self):
        self.v2_put("case", {"v": "1"})
        self.policy("Mixed", 'path "secret/data/case" '
                    '{ capabilities = ["read"] }')
        self.assertIn("mixed", self.c.list_policies())
        self.assertNotIn("Mixed", self.c.list_policies())
        auth = self.c.auth.token.create(policies=["MIXED"])["auth"]
        self.assertEqual(auth["policies"], ["default", "mixed"])
        self.assertEqual(self.req(auth["client_token"], "GET",
                                  "secret/data/case"), 200)

    def test_root_policy_cannot_be_written_or_assigned(self):
        self.policy("admin", """
            path "sys/policy/*" { capabilities = ["create", "update",
                                                  "read", "delete"] }
            path "sys/policies/acl/*" { capabilities = ["create", "update",
                                                        "delete"] }
            path "auth/token/create" { capabilities = ["create", "update",
                                                       "sudo"] }
            path "auth/token/create/*" { capabilities = ["create",
                                                         "update"] }
        """)
        admin = self.token("admin")
        for name in ("root", "Root", "ROOT", "root%20", "%20root"):
            for prefix in ("sys/policy/", "sys/policies/acl/"):
                status = self.req(admin, "PUT", prefix + name,
                                  {"policy": 'path "*" { capabilities = '
                                   '["sudo", "read", "update"] }'})
                self.assertIn(status, (400, 403), prefix + name)
                status = self.req(admin, "DELETE", prefix + name)
                self.assertIn(status, (400, 403), prefix + name)
        self.assertEqual(self.c.get_policy("root"), "")
        self.assertEqual(sorted(self.c.list_policies()),
                         ["admin", "default", "root"])

        # A child token never gets root, however it is spelled.
        for pols in (["root"], ["Root"], [" root"], ["root\n"],
                     ["admin", "root"]):
            status, out = self.srv.request(
                "POST", "/v1/auth/token/create", {"policies": pols},
                token=admin)
            if status == 200:
                self.assertNotIn("root", out["auth"]["policies"], pols)
            else:
                self.assertIn(status, (400, 403), pols)
        # Not through a role either, even one root set up carelessly.
        self.c.auth.token.create_or_update_role(
            "careless", allowed_policies=["root", "admin"])
        status, out = self.srv.request(
            "POST", "/v1/auth/token/create/careless",
            {"policies": ["root"]}, token=admin)
        if status == 200:
            self.assertNotIn("root", out["auth"]["policies"])
            got = self.c.auth.token.lookup(out["auth"]["client_token"])
            self.assertNotIn("root", got["data"]["policies"])
        else:
            self.assertIn(status, (400, 403))
        # The admin token still cannot do what only root can.
        self.assertEqual(self.req(admin, "GET", "sys/mounts"), 403)

    # ---- capabilities-self against what the token can do ----

    def test_ui_mounts_for_a_token_that_reads_one_secret(self):
        """The Vault CLI's kv commands and agents ask
        sys/internal/ui/mounts/<path> for the mount's version first: a
        token that may read one secret gets the answer for its mount, and
        403 for a mount it has nothing in."""
        self.policy("one", 'path "secret/data/app" '
                           '{ capabilities = ["read"] }')
        t = self.token("one")
        st, out = self.srv.request("GET",
                                   "/v1/sys/internal/ui/mounts/secret/app",
                                   token=t)
        self.assertEqual(st, 200, out)
        self.assertEqual(out["data"]["type"], "kv")
        self.assertEqual(out["data"]["options"]["version"], "2")
        self.assertEqual(out["data"]["path"], "secret/")
        self.assertEqual(self.req(t, "GET", "sys/internal/ui/mounts/kv1/x"),
                         403)
        # Still a token check: a bad one is refused.
        self.assertEqual(
            self.srv.request("GET", "/v1/sys/internal/ui/mounts/secret/app",
                             token="s.bogus")[0], 403)

    def test_capabilities_self_match_behaviour(self):
        self.policy("caps", """
            path "kv1/rw/*" { capabilities = ["create", "read", "update",
                                              "delete", "list"] }
            path "kv1/ro/*" { capabilities = ["read", "list"] }
            path "kv1/ro/hidden" { capabilities = ["deny"] }
            path "kv1/+/plus" { capabilities = ["read"] }
        """)
        for p in ("rw/a", "ro/a", "ro/hidden", "zz/plus", "none"):
            self.c.write("kv1/" + p, v=p)
        tok = self.token("caps")
        t = hvac.Client(url=self.srv.addr, token=tok)
        paths = ["kv1/rw/a", "kv1/ro/a", "kv1/ro/hidden", "kv1/zz/plus",
                 "kv1/none"]
        got = t.sys.get_capabilities(paths=paths)["data"]
        self.assertEqual({p: got[p] for p in paths}, {
            "kv1/rw/a": ["create", "delete", "list", "read", "update"],
            "kv1/ro/a": ["list", "read"],
            "kv1/ro/hidden": ["deny"],
            "kv1/zz/plus": ["read"],
            "kv1/none": ["deny"],
        })
        # Each answer holds exactly for a real request.
        for p in paths:
            caps = got[p]
            self.assertEqual(self.req(tok, "GET", p) == 200,
                             "read" in caps, p)
            self.assertEqual(self.req(tok, "PUT", p, {"v": "w"}) == 204,
                             "update" in caps, p)
            self.assertEqual(self.req(tok, "DELETE", p) == 204,
                             "delete" in caps, p)
        # The same for another token through sys/capabilities (root asks).
        other = self.c.sys.get_capabilities(paths=["kv1/ro/a"],
                                            token=tok)["data"]
        self.assertEqual(other["capabilities"], ["list", "read"])


if __name__ == "__main__":
    main()

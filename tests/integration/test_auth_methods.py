"""AppRole, userpass and identity as hvac 0.11.2 drives them (the current
API and the legacy client methods): logins, replayed and raced single-use
secret IDs, secret IDs of another role, CIDR bindings checked against the
real peer address (the client binds 127.0.0.2), entities and groups whose
policies apply at once, and userpass failures that look and take the same
for a wrong password and a missing user."""

import json
import os
import statistics
import subprocess
import threading
import time

import hvac
import hvac.exceptions
import requests
from requests.adapters import HTTPAdapter

from harness import BIN, ServerTest, main

READ_SECRET = 'path "secret/data/*" { capabilities = ["read"] }'
GROUP_POLICY = 'path "secret/data/group/*" { capabilities = ["read"] }'


class SourceAdapter(HTTPAdapter):
    """Connects from a chosen local address (all of 127/8 is loopback)."""

    def __init__(self, source, **kw):
        self.source = source
        super().__init__(**kw)

    def init_poolmanager(self, *args, **kw):
        kw["source_address"] = (self.source, 0)
        return super().init_poolmanager(*args, **kw)


def session_from(source):
    s = requests.Session()
    s.mount("http://", SourceAdapter(source))
    return s


class AuthTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="root").start()
        self.c = self.srv.client()
        self.c.sys.create_or_update_policy("web", READ_SECRET)
        self.c.sys.create_or_update_policy("grp", GROUP_POLICY)

    def anon(self, source=None):
        kw = {"session": session_from(source)} if source else {}
        return hvac.Client(url=self.srv.addr, **kw)

    def as_token(self, token, source=None):
        cl = self.anon(source)
        cl.token = token
        return cl


class AppRole(AuthTest):
    def setUp(self):
        super().setUp()
        self.c.sys.enable_auth_method("approle")
        self.ar = self.c.auth.approle

    def role(self, name="web", **kw):
        kw.setdefault("token_policies", ["web"])
        self.ar.create_or_update_approle(name, **kw)
        return self.ar.read_role_id(name)["data"]["role_id"]

    def test_login_flow_and_shapes(self):
        rid = self.role(token_ttl="1h", secret_id_ttl="10m",
                        secret_id_num_uses=5)
        role = self.ar.read_role("web")["data"]
        self.assertTrue(role["bind_secret_id"])
        self.assertEqual(role["secret_id_ttl"], 600)
        self.assertEqual(role["token_ttl"], 3600)
        self.assertEqual(role["token_policies"], ["web"])
        self.assertEqual(role["token_bound_cidrs"], [])
        self.assertEqual(self.ar.list_roles()["data"]["keys"], ["web"])

        gen = self.ar.generate_secret_id("web", metadata={"team": "pay"})
        d = gen["data"]
        self.assertEqual((d["secret_id_ttl"], d["secret_id_num_uses"]),
                         (600, 5))
        sid = d["secret_id"]
        look = self.ar.read_secret_id("web", sid)["data"]
        self.assertEqual(look["metadata"], {"team": "pay"})
        self.assertEqual(look["secret_id_accessor"],
                         d["secret_id_accessor"])
        keys = self.ar.list_secret_id_accessors("web")["data"]["keys"]
        self.assertEqual(keys, [d["secret_id_accessor"]])

        # A stale token in the header does not matter to a login.
        cl = self.as_token("hvs.stale-and-unknown")
        auth = cl.auth.approle.login(rid, sid)["auth"]
        self.assertEqual(auth["policies"], ["default", "web"])
        self.assertEqual(auth["metadata"], {"role_name": "web",
                                            "team": "pay"})
        self.assertEqual(auth["lease_duration"], 3600)
        self.assertTrue(auth["entity_id"])
        data = self.c.auth.token.lookup(auth["client_token"])["data"]
        self.assertEqual(data["path"], "auth/approle/login")
        self.assertEqual(data["display_name"], "approle")
        self.assertEqual(data["entity_id"], auth["entity_id"])
        self.assertEqual(
            self.ar.read_secret_id("web", sid)["data"]["secret_id_num_uses"],
            4)
        # The token works for what its policy allows.
        self.c.secrets.kv.v2.create_or_update_secret("app", {"k": "v"})
        self.assertEqual(cl.secrets.kv.v2.read_secret_version("app")
                         ["data"]["data"], {"k": "v"})

    def test_errors_do_not_tell_which_half_was_wrong(self):
        rid = self.role()
        sid = self.ar.generate_secret_id("web")["data"]["secret_id"]
        msgs = []
        for r, s in ((rid, "wrong"), ("wrong", sid), ("wrong", "wrong")):
            status, body = self.srv.request(
                "POST", "/v1/auth/approle/login",
                {"role_id": r, "secret_id": s}, token="")
            msgs.append((status, body["errors"]))
        self.assertEqual(msgs, [(400, ["invalid role or secret ID"])] * 3)
        status, body = self.srv.request("POST", "/v1/auth/approle/login",
                                        {"secret_id": sid}, token="")
        self.assertEqual((status, body["errors"]),
                         (400, ["missing role_id"]))
        # Unknown secret IDs look up as 204 (no content), as in Vault.
        status, _ = self.srv.request(
            "POST", "/v1/auth/approle/role/web/secret-id/lookup",
            {"secret_id": "nope"})
        self.assertEqual(status, 204)

    def test_single_use_secret_id_replayed_and_raced(self):
        rid = self.role(secret_id_num_uses=1)
        sid = self.ar.generate_secret_id("web")["data"]["secret_id"]
        self.anon().auth.approle.login(rid, sid)
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.anon().auth.approle.login(rid, sid)

        # 20 concurrent logins with one fresh one-use secret ID.
        for _ in range(3):
            sid = self.ar.generate_secret_id("web")["data"]["secret_id"]
            results = []
            barrier = threading.Barrier(20)

            def attempt():
                barrier.wait()
                status, body = self.srv.request(
                    "POST", "/v1/auth/approle/login",
                    {"role_id": rid, "secret_id": sid}, token="")
                results.append(status)
            threads = [threading.Thread(target=attempt) for _ in range(20)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            self.assertEqual(sorted(results), [200] + [400] * 19)

    def test_expired_secret_id_refused(self):
        rid = self.role(secret_id_ttl="2s")
        sid = self.ar.generate_secret_id("web")["data"]["secret_id"]
        self.ar.generate_secret_id("web")  # left for tidy to find
        time.sleep(2.5)
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.anon().auth.approle.login(rid, sid)
        status, body = self.srv.request(
            "POST", "/v1/auth/approle/tidy/secret-id", {})
        self.assertEqual(status, 200)
        self.assertIn("1 expired", body["warnings"][0])
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.ar.list_secret_id_accessors("web")

    def test_accessor_of_another_role_fails(self):
        self.role("a")
        self.role("b")
        acc_a = self.ar.generate_secret_id("a")["data"]["secret_id_accessor"]
        sid_a = self.ar.generate_secret_id("a")["data"]["secret_id"]
        for call in (self.ar.read_secret_id_accessor,
                     self.ar.destroy_secret_id_accessor):
            with self.assertRaises(hvac.exceptions.InvalidRequest):
                call("b", acc_a)
        # Role b cannot see or destroy role a's secret ID by value either.
        status, _ = self.srv.request(
            "POST", "/v1/auth/approle/role/b/secret-id/lookup",
            {"secret_id": sid_a})
        self.assertEqual(status, 204)
        self.ar.destroy_secret_id("b", sid_a)
        self.assertEqual(
            self.ar.read_secret_id_accessor("a", acc_a)["data"]
            ["secret_id_accessor"], acc_a)
        # Nor log in with role b's role ID and a's secret ID.
        rid_b = self.ar.read_role_id("b")["data"]["role_id"]
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.anon().auth.approle.login(rid_b, sid_a)
        # By its own role, the accessor works and destroys.
        self.ar.destroy_secret_id_accessor("a", acc_a)
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.ar.read_secret_id_accessor("a", acc_a)

    def test_cidr_bindings_use_the_peer_address(self):
        rid = self.role(secret_id_bound_cidrs=["127.0.0.1/32"])
        sid = self.ar.generate_secret_id("web")["data"]["secret_id"]
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.anon("127.0.0.2").auth.approle.login(rid, sid)
        self.assertIn("CIDR", str(e.exception))
        # A forged X-Forwarded-For does not help.
        s = session_from("127.0.0.2")
        r = s.post(self.srv.addr + "/v1/auth/approle/login",
                   json={"role_id": rid, "secret_id": sid},
                   headers={"X-Forwarded-For": "127.0.0.1"})
        self.assertEqual(r.status_code, 400)
        self.anon("127.0.0.1").auth.approle.login(rid, sid)

        # A secret ID's own cidr_list, inside the role's.
        self.role("narrow", secret_id_bound_cidrs=["127.0.0.0/8"])
        rid2 = self.ar.read_role_id("narrow")["data"]["role_id"]
        sid2 = self.ar.generate_secret_id(
            "narrow", cidr_list=["127.0.0.1/32"])["data"]["secret_id"]
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.anon("127.0.0.2").auth.approle.login(rid2, sid2)
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.ar.generate_secret_id("narrow", cidr_list=["10.0.0.0/8"])

    def test_token_bound_cidrs_checked_on_every_use(self):
        rid = self.role(token_bound_cidrs=["127.0.0.1/32"])
        sid = self.ar.generate_secret_id("web")["data"]["secret_id"]
        with self.assertRaises(hvac.exceptions.Forbidden):
            self.anon("127.0.0.2").auth.approle.login(rid, sid)
        auth = self.anon("127.0.0.1").auth.approle.login(rid, sid)["auth"]
        tok = auth["client_token"]
        data = self.as_token(tok, "127.0.0.1").auth.token.lookup_self()
        self.assertEqual(data["data"]["bound_cidrs"], ["127.0.0.1/32"])
        with self.assertRaises(hvac.exceptions.Forbidden):
            self.as_token(tok, "127.0.0.2").auth.token.lookup_self()

    def test_two_logins_one_entity(self):
        log = os.path.join(self.srv.dir, "audit.log")
        self.c.sys.enable_audit_device("file", options={"file_path": log})
        rid = self.role()
        toks = []
        for _ in range(2):
            sid = self.ar.generate_secret_id("web")["data"]["secret_id"]
            toks.append(self.anon().auth.approle.login(rid, sid)["auth"])
        self.assertNotEqual(toks[0]["client_token"], toks[1]["client_token"])
        self.assertEqual(toks[0]["entity_id"], toks[1]["entity_id"])
        for t in toks:
            d = self.c.auth.token.lookup(t["client_token"])["data"]
            self.assertEqual(d["entity_id"], toks[0]["entity_id"])
        ent = self.c.secrets.identity.read_entity(toks[0]["entity_id"])
        aliases = ent["data"]["aliases"]
        self.assertEqual(len(aliases), 1)
        self.assertEqual(aliases[0]["name"], rid)
        self.assertEqual(aliases[0]["mount_type"], "approle")
        self.assertTrue(ent["data"]["name"].startswith("entity_"))

        # The audit trail ties what each token did to the entity.
        for t in toks:
            self.as_token(t["client_token"]).read("secret/data/anything")
        with open(log) as f:
            records = [json.loads(line) for line in f]
        used = [r for r in records if r["type"] == "request" and
                r["request"]["path"] == "secret/data/anything"]
        self.assertEqual(len(used), 2)
        for r in used:
            self.assertEqual(r["auth"]["entity_id"], toks[0]["entity_id"])

    def test_role_rules(self):
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.role(token_type="batch")
        self.assertIn("batch", str(e.exception))
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.role(bind_secret_id=False)
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.role(token_policies=["web", "Root"])
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.role(token_bound_cidrs=["300.1.1.1/8"])
        # A custom role ID, and a custom secret ID.
        self.role("custom")
        self.ar.update_role_id("custom", "my-role-id")
        self.ar.create_custom_secret_id("custom", "my-secret-id-123")
        auth = self.anon().auth.approle.login("my-role-id",
                                              "my-secret-id-123")
        self.assertIn("web", auth["auth"]["policies"])
        # Deleting a role removes its secret IDs for good.
        self.ar.delete_role("custom")
        self.role("custom")
        self.ar.update_role_id("custom", "my-role-id")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.anon().auth.approle.login("my-role-id", "my-secret-id-123")

    def test_legacy_client_methods(self):
        self.c.create_role("old", policies="web", secret_id_num_uses=2)
        rid = self.c.get_role_id("old")
        sid = self.c.create_role_secret_id(
            "old", meta={"a": "b"})["data"]["secret_id"]
        self.assertEqual(self.c.get_role_secret_id("old", sid)["data"]
                         ["metadata"], {"a": "b"})
        self.assertIn("old", self.c.list_roles()["data"]["keys"])
        cl = self.anon()
        auth = cl.auth_approle(rid, sid)["auth"]
        self.assertEqual(auth["policies"], ["default", "web"])
        self.assertEqual(cl.token, auth["client_token"])
        self.assertEqual(self.c.auth.approle.read_role("old")["data"]
                         ["policies"], ["web"])


class Userpass(AuthTest):
    def setUp(self):
        super().setUp()
        self.c.sys.enable_auth_method("userpass")
        self.up = self.c.auth.userpass

    def test_flow_and_normalised_names(self):
        self.up.create_or_update_user("Alice", password="pw-1",
                                      policies=["web"])
        self.assertEqual(self.up.list_user()["data"]["keys"], ["alice"])
        user = self.up.read_user(" ALICE ")["data"]
        self.assertEqual(user["token_policies"], ["web"])
        self.assertNotIn("password", user)
        self.assertNotIn("password_hash", user)
        for name in ("alice", "ALICE", " Alice"):
            auth = self.anon().auth.userpass.login(name, "pw-1")["auth"]
            self.assertEqual(auth["metadata"], {"username": "alice"})
        d = self.c.auth.token.lookup(auth["client_token"])["data"]
        self.assertEqual(d["display_name"], "userpass-alice")
        self.assertEqual(d["path"], "auth/userpass/login/alice")

        self.up.update_password_on_user("alice", "pw-2")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.anon().auth.userpass.login("alice", "pw-1")
        self.anon().auth.userpass.login("alice", "pw-2")
        # One user, one entity, whatever the spelling.
        a = self.anon().auth.userpass.login("ALICE", "pw-2")["auth"]
        b = self.anon().auth.userpass.login("alice", "pw-2")["auth"]
        self.assertEqual(a["entity_id"], b["entity_id"])

        status, body = self.srv.request(
            "POST", "/v1/auth/userpass/users/bob",
            {"password": "x" * 1025})
        self.assertEqual(status, 400)
        self.up.delete_user("ALICE")
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.up.read_user("alice")

    def test_wrong_password_and_missing_user_look_alike(self):
        self.up.create_or_update_user("carol", password="right")
        answers = []
        for name in ("carol", "nobody"):
            status, body = self.srv.request(
                "POST", "/v1/auth/userpass/login/" + name,
                {"password": "wrong"}, token="")
            answers.append((status, body))
        self.assertEqual(answers[0], answers[1])
        self.assertEqual(answers[0],
                         (400, {"errors": ["invalid username or password"]}))

        def timed(name):
            t = time.perf_counter()
            self.srv.request("POST", "/v1/auth/userpass/login/" + name,
                             {"password": "wrong"}, token="")
            return time.perf_counter() - t
        # Interleaved, so that load from elsewhere hits both alike. A
        # missing user answered without hashing would be tens of times
        # faster (Argon2id takes milliseconds); 4x leaves room for noise.
        existing, missing = [], []
        for _ in range(20):
            existing.append(timed("carol"))
            missing.append(timed("nobody"))
        existing = statistics.median(existing)
        missing = statistics.median(missing)
        self.assertLess(missing, existing * 4)
        self.assertLess(existing, missing * 4)

    def test_legacy_client_methods(self):
        self.c.create_userpass("dave", "pw", "web")
        self.assertIn("dave", self.c.list_userpass()["data"]["keys"])
        cl = self.anon()
        auth = cl.auth_userpass("dave", "pw")["auth"]
        self.assertEqual(auth["policies"], ["default", "web"])
        self.assertEqual(cl.token, auth["client_token"])


class Identity(AuthTest):
    def setUp(self):
        super().setUp()
        self.c.sys.enable_auth_method("userpass")
        self.c.auth.userpass.create_or_update_user("erin", password="pw")
        self.ident = self.c.secrets.identity

    def test_group_policies_apply_at_once(self):
        self.c.secrets.kv.v2.create_or_update_secret("group/x", {"v": 1})
        auth = self.anon().auth.userpass.login("erin", "pw")["auth"]
        tok, eid = auth["client_token"], auth["entity_id"]
        self.assertNotIn("identity_policies", auth)
        user = self.as_token(tok)
        with self.assertRaises(hvac.exceptions.Forbidden):
            user.secrets.kv.v2.read_secret_version("group/x")

        gid = self.ident.create_or_update_group(
            "team", policies=["grp"], member_entity_ids=[eid])["data"]["id"]
        self.assertEqual(user.secrets.kv.v2.read_secret_version("group/x")
                         ["data"]["data"], {"v": 1})
        look = self.c.auth.token.lookup(tok)["data"]
        self.assertEqual(look["identity_policies"], ["grp"])
        self.assertEqual(look["policies"], ["default"])
        ent = self.ident.read_entity(eid)["data"]
        self.assertEqual(ent["direct_group_ids"], [gid])

        # A parent group's policies reach members of its member groups.
        self.ident.create_or_update_group("team", policies=[],
                                          member_entity_ids=[eid])
        with self.assertRaises(hvac.exceptions.Forbidden):
            user.secrets.kv.v2.read_secret_version("group/x")
        self.ident.create_or_update_group("parent", policies=["grp"],
                                          member_group_ids=[gid])
        user.secrets.kv.v2.read_secret_version("group/x")
        self.assertEqual(self.ident.read_entity(eid)["data"]
                         ["inherited_group_ids"],
                         [self.ident.read_group_by_name("parent")["data"]
                          ["id"]])
        # A cycle is refused.
        pid = self.ident.read_group_by_name("parent")["data"]["id"]
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.ident.create_or_update_group("team",
                                              member_group_ids=[pid])

        # New logins show identity policies in the auth block.
        again = self.anon().auth.userpass.login("erin", "pw")["auth"]
        self.assertEqual(again["identity_policies"], ["grp"])
        self.assertEqual(again["policies"], ["default", "grp"])
        self.assertEqual(again["token_policies"], ["default"])

        # Deleting the group takes the access away at once.
        self.ident.delete_group(pid)
        with self.assertRaises(hvac.exceptions.Forbidden):
            user.secrets.kv.v2.read_secret_version("group/x")

    def test_entity_policies_and_disable(self):
        auth = self.anon().auth.userpass.login("erin", "pw")["auth"]
        tok, eid = auth["client_token"], auth["entity_id"]
        user = self.as_token(tok)
        self.c.secrets.kv.v2.create_or_update_secret("app", {"v": 2})
        self.ident.update_entity(eid, policies=["web"])
        user.secrets.kv.v2.read_secret_version("app")
        self.ident.update_entity(eid, disabled=True)
        with self.assertRaises(hvac.exceptions.Forbidden):
            user.secrets.kv.v2.read_secret_version("app")
        with self.assertRaises(hvac.exceptions.Forbidden):
            self.anon().auth.userpass.login("erin", "pw")
        self.ident.update_entity(eid, disabled=False)
        user.secrets.kv.v2.read_secret_version("app")

    def test_root_never_comes_from_identity(self):
        eid = self.ident.create_or_update_entity("svc")["data"]["id"]
        for name in ("root", "Root", " root", "ROOT\n"):
            status, _ = self.srv.request(
                "POST", "/v1/identity/entity/id/" + eid,
                {"policies": [name]})
            self.assertEqual(status, 400, name)
            status, _ = self.srv.request(
                "POST", "/v1/identity/group",
                {"name": "g", "policies": ["web", name]})
            self.assertEqual(status, 400, name)

    def test_entities_aliases_lookup(self):
        ent = self.ident.create_or_update_entity(
            "svc", metadata={"team": "ops"}, policies=["Web"])["data"]
        eid = ent["id"]
        self.assertEqual(ent["name"], "svc")
        self.assertEqual(self.ident.read_entity_by_name("svc")["data"]
                         ["policies"], ["web"])
        acc = self.c.sys.list_auth_methods()["data"]["userpass/"]["accessor"]
        alias = self.ident.create_or_update_entity_alias(
            "erin", eid, acc)["data"]
        self.assertEqual(alias["canonical_id"], eid)
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.ident.create_or_update_entity_alias("erin", eid, acc)
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.ident.create_or_update_entity_alias("x", eid, "nope_123")
        # The login of erin now lands on the entity made by hand.
        auth = self.anon().auth.userpass.login("erin", "pw")["auth"]
        self.assertEqual(auth["entity_id"], eid)
        self.assertEqual(auth["identity_policies"], ["web"])
        found = self.ident.lookup_entity(alias_name="erin",
                                         alias_mount_accessor=acc)
        self.assertEqual(found["data"]["id"], eid)
        self.assertEqual(self.ident.lookup_entity(name="svc")["data"]["id"],
                         eid)
        missing = self.ident.lookup_entity(name="nobody")
        self.assertEqual(getattr(missing, "status_code", 204), 204)
        self.assertIn(eid, self.ident.list_entities()["data"]["keys"])
        self.assertIn("svc",
                      self.ident.list_entities_by_name()["data"]["keys"])
        self.ident.delete_entity(eid)
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.ident.read_entity(eid)
        # Its alias went with it: the next login makes a new entity.
        auth = self.anon().auth.userpass.login("erin", "pw")["auth"]
        self.assertNotEqual(auth["entity_id"], eid)


class Cli(AuthTest):
    def run_cli(self, *args, home, token=None, stdin=None):
        env = dict(os.environ, HOME=home, VAULT_ADDR=self.srv.addr)
        env.pop("VAULT_TOKEN", None)
        if token:
            env["VAULT_TOKEN"] = token
        return subprocess.run([BIN] + list(args), env=env, input=stdin,
                              capture_output=True, text=True, timeout=60)

    def test_login_auth_enable_list_disable(self):
        home = self.srv.dir
        r = self.run_cli("auth", "enable", "-path=ar", "approle",
                         home=home, token="root")
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_cli("auth", "list", home=home, token="root")
        self.assertIn("ar/", r.stdout)
        self.assertIn("approle", r.stdout)
        self.c.auth.approle.create_or_update_approle(
            "web", token_policies=["web"], mount_point="ar")
        rid = self.c.auth.approle.read_role_id(
            "web", mount_point="ar")["data"]["role_id"]
        sid = self.c.auth.approle.generate_secret_id(
            "web", mount_point="ar")["data"]["secret_id"]
        r = self.run_cli("login", "-method=approle", "-path=ar",
                         "role_id=" + rid, "secret_id=" + sid, home=home)
        self.assertEqual(r.returncode, 0, r.stderr)
        path = os.path.join(home, ".vault-token")
        self.assertEqual(os.stat(path).st_mode & 0o777, 0o600)
        with open(path) as f:
            tok = f.read().strip()
        self.assertIn(tok, r.stdout)
        self.assertEqual(self.as_token(tok).auth.token.lookup_self()
                         ["data"]["display_name"], "approle")

        # userpass with the password from stdin (no terminal: no echo).
        self.c.sys.enable_auth_method("userpass")
        self.c.auth.userpass.create_or_update_user("fred", password="pw")
        r = self.run_cli("login", "-method=userpass", "-no-store",
                         "-token-only", "username=fred", home=home,
                         stdin="pw\n")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertTrue(r.stdout.strip().startswith("hvs."))
        with open(path) as f:
            self.assertEqual(f.read().strip(), tok)  # -no-store kept it
        r = self.run_cli("login", "-method=userpass", "username=fred",
                         "password=bad", home=home)
        self.assertEqual(r.returncode, 1)
        self.assertIn("invalid username or password", r.stderr)

        r = self.run_cli("login", "root", home=home)
        self.assertEqual(r.returncode, 0, r.stderr)
        r = self.run_cli("auth", "disable", "ar", home=home)
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertNotIn("ar/", self.c.sys.list_auth_methods()["data"])
        # Its tokens went with it.
        with self.assertRaises(hvac.exceptions.Forbidden):
            self.as_token(tok).auth.token.lookup_self()


if __name__ == "__main__":
    main()

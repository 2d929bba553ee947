"""The database secrets engine against a real PostgreSQL: dynamic users
that log in and stop working when their lease ends (revoked, expired,
across a restart, after an outage), static roles whose password rotates,
rotate-root, bad input that leaves nothing behind, quoting, and a crash
between creating a user and recording its lease."""

import json
import os
import subprocess
import time

import hvac
import hvac.exceptions

from dbserver import ADMIN, ADMIN_PASSWORD, Postgres
from harness import BIN, ServerTest, free_port, main

CREATE = ("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' "
          "VALID UNTIL '{{expiration}}';")
GRANT = "GRANT SELECT ON canary TO \"{{name}}\";"


def wait_for(cond, timeout, step=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


class DatabasePostgres(ServerTest):
    @classmethod
    def setUpClass(cls):
        cls.pg = Postgres()
        cls.pg.start()
        cls.pg.admin("CREATE TABLE canary (x int); INSERT INTO canary "
                     "VALUES (42)")

    @classmethod
    def tearDownClass(cls):
        cls.pg.cleanup()

    def setUp(self):
        super().setUp()
        if not self.pg.running:
            self.pg.start()

    # Helpers ------------------------------------------------------------

    def dev(self):
        self.srv = self.server(dev=True).start()
        self.c = self.srv.client()
        self.mount()
        return self.c

    def sealed_server(self):
        """A server on SQLite with one unseal key, so it can restart."""
        self.srv = self.server().start()
        c = self.srv.client()
        init = c.sys.initialize(secret_shares=1, secret_threshold=1)
        self.srv.root_token = init["root_token"]
        self.key = init["keys"][0]
        self.unseal()
        self.mount()
        return self.c

    def unseal(self):
        self.c = self.srv.client()
        self.c.sys.submit_unseal_key(self.key)

    def mount(self):
        self.c.sys.enable_secrets_engine("database", path="database")

    def configure(self, name="pg", **kw):
        kw.setdefault("allowed_roles", ["*"])
        kw.setdefault("connection_url", self.pg.url())
        kw.setdefault("username", ADMIN)
        kw.setdefault("password", ADMIN_PASSWORD)
        return self.c.secrets.database.configure(
            name, "postgresql-database-plugin", **kw)

    def role(self, name, ttl="1h", max_ttl="24h", stmts=None, **kw):
        return self.c.secrets.database.create_role(
            name, "pg", stmts or [CREATE, GRANT], default_ttl=ttl,
            max_ttl=max_ttl, **kw)

    def creds(self, role):
        return self.c.secrets.database.generate_credentials(role)

    def reads_canary(self, user, password):
        code, out = self.pg.sql("SELECT x FROM canary", user, password)
        return code == 0 and out == ["42"]

    def lease_gone(self, lease_id):
        try:
            self.c.sys.read_lease(lease_id)
            return False
        except hvac.exceptions.InvalidRequest:
            return True

    # Dynamic credentials ------------------------------------------------

    def test_creds_log_in_until_revoked(self):
        self.dev()
        self.configure()
        self.role("reader")
        r = self.creds("reader")
        user, pw = r["data"]["username"], r["data"]["password"]
        self.assertTrue(r["lease_id"].startswith("database/creds/reader/"))
        self.assertTrue(r["renewable"])
        self.assertEqual(r["lease_duration"], 3600)
        self.assertTrue(user.startswith("v-root-reader-"))
        self.assertEqual(len(pw), 20)
        self.assertTrue(self.reads_canary(user, pw))
        self.assertIn(user, self.pg.users())

        # Renewal moves the database's own VALID UNTIL as well.
        self.role("reader", ttl="1h", max_ttl="2h")
        r2 = self.c.sys.renew_lease(r["lease_id"], increment=600)
        self.assertEqual(r2["lease_duration"], 600)
        until = self.pg.admin("SELECT extract(epoch FROM rolvaliduntil "
                              "- now())::int FROM pg_roles WHERE "
                              "rolname = '%s'" % user)[0]
        self.assertTrue(590 <= int(until) <= 601, until)

        self.c.sys.revoke_lease(r["lease_id"])
        self.assertFalse(self.pg.can_login(user, pw))
        self.assertNotIn(user, self.pg.users())
        self.assertTrue(self.lease_gone(r["lease_id"]))

    def test_creds_end_with_their_ttl_without_any_call(self):
        self.dev()
        self.configure()
        self.role("short", ttl="2s", max_ttl="10s")
        r = self.creds("short")
        user, pw = r["data"]["username"], r["data"]["password"]
        self.assertEqual(r["lease_duration"], 2)
        self.assertTrue(self.pg.can_login(user, pw))
        self.assertTrue(wait_for(lambda: user not in self.pg.users(), 10))
        self.assertFalse(self.pg.can_login(user, pw))

    def test_expiry_still_happens_after_a_restart(self):
        self.sealed_server()
        self.configure()
        self.role("restart", ttl="3s", max_ttl="10s")
        r = self.creds("restart")
        user, pw = r["data"]["username"], r["data"]["password"]
        self.assertTrue(self.pg.can_login(user, pw))
        self.srv.stop()
        time.sleep(4)
        # Nobody revoked it while the server was down.
        self.assertIn(user, self.pg.users())
        self.srv.start()
        self.unseal()
        self.assertTrue(wait_for(lambda: user not in self.pg.users(), 10))
        self.assertFalse(self.pg.can_login(user, pw))
        self.assertTrue(self.lease_gone(r["lease_id"]))

    def test_revocation_waits_for_the_database(self):
        self.dev()
        self.configure()
        self.role("outage", ttl="2s", max_ttl="10s")
        r = self.creds("outage")
        user, pw = r["data"]["username"], r["data"]["password"]
        self.pg.stop()
        time.sleep(4)
        # Expired, but the database is down: the lease stays, pending.
        lease = self.c.sys.read_lease(r["lease_id"])["data"]
        self.assertEqual(lease["id"], r["lease_id"])
        self.assertIn("failed", self.srv.read_log())
        self.pg.start()
        self.assertIn(user, self.pg.users())
        # The first retry comes 10 s after the failure.
        self.assertTrue(wait_for(lambda: user not in self.pg.users(), 25))
        self.assertFalse(self.pg.can_login(user, pw))
        self.assertTrue(wait_for(lambda: self.lease_gone(r["lease_id"]), 5))

    def test_creds_with_the_database_down(self):
        self.dev()
        self.configure()
        self.role("down")
        self.pg.stop()
        status, body = self.srv.request("GET", "/v1/database/creds/down")
        self.assertEqual(status, 503)
        self.assertIn("database unavailable", body["errors"][0])
        self.pg.start()
        # The pool drops its dead connections and connects again.
        r = self.creds("down")
        self.assertTrue(self.pg.can_login(r["data"]["username"],
                                          r["data"]["password"]))
        self.c.sys.revoke_lease(r["lease_id"])

    def test_leases_die_with_their_token(self):
        self.dev()
        self.configure()
        self.role("tok")
        self.c.sys.create_or_update_policy(
            "dbuser", 'path "database/creds/*" { capabilities = ["read"] }')
        tok = self.c.auth.token.create(policies=["dbuser"])["auth"]
        other = self.srv.client(tok["client_token"])
        r = other.secrets.database.generate_credentials("tok")
        user = r["data"]["username"]
        self.assertIn(user, self.pg.users())
        self.c.auth.token.revoke(tok["client_token"])
        self.assertTrue(wait_for(lambda: user not in self.pg.users(), 10))

    def cli(self, *args):
        env = dict(os.environ, VAULT_ADDR=self.srv.addr, VAULT_TOKEN="root")
        p = subprocess.run([BIN] + list(args), env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr.decode())
        return p.stdout.decode()

    def test_cli_and_mount_disable(self):
        self.dev()
        self.configure()
        self.role("cli")
        r = json.loads(self.cli("read", "-format=json", "database/creds/cli"))
        user, pw = r["data"]["username"], r["data"]["password"]
        self.assertTrue(r["lease_id"].startswith("database/creds/cli/"))
        self.assertTrue(self.pg.can_login(user, pw))
        self.cli("lease", "renew", r["lease_id"])
        self.cli("lease", "revoke", r["lease_id"])
        self.assertFalse(self.pg.can_login(user, pw))

        # Disabling the mount revokes what it handed out.
        r = self.creds("cli")
        self.assertIn(r["data"]["username"], self.pg.users())
        self.c.sys.disable_secrets_engine("database")
        self.assertNotIn(r["data"]["username"], self.pg.users())

    # Static roles ---------------------------------------------------------

    def test_static_role_rotates(self):
        self.dev()
        self.configure()
        self.pg.admin("CREATE ROLE app_static LOGIN PASSWORD 'app-initial'")
        self.c.secrets.database.create_static_role(
            "app", "pg", "app_static", None, rotation_period="5s")
        # Rotated at creation: the initial password is gone.
        self.assertFalse(self.pg.can_login("app_static", "app-initial"))
        s1 = self.c.secrets.database.get_static_credentials("app")["data"]
        self.assertEqual(s1["username"], "app_static")
        self.assertEqual(s1["rotation_period"], 5)
        self.assertTrue(0 <= s1["ttl"] <= 5)
        self.assertTrue(s1["last_vault_rotation"].endswith("Z"))
        self.assertTrue(self.pg.can_login("app_static", s1["password"]))

        # The period passes without any call: a new password.
        time.sleep(s1["ttl"] + 2.5)
        s2 = self.c.secrets.database.get_static_credentials("app")["data"]
        self.assertNotEqual(s2["password"], s1["password"])
        self.assertTrue(self.pg.can_login("app_static", s2["password"]))
        self.assertFalse(self.pg.can_login("app_static", s1["password"]))

        # rotate-role forces one now.
        status, _ = self.srv.request("POST", "/v1/database/rotate-role/app")
        self.assertEqual(status, 204)
        s3 = self.c.secrets.database.get_static_credentials("app")["data"]
        self.assertNotIn(s3["password"], (s1["password"], s2["password"]))
        self.assertTrue(self.pg.can_login("app_static", s3["password"]))
        self.assertFalse(self.pg.can_login("app_static", s2["password"]))
        _, body = self.srv.request("GET", "/v1/database/static-roles/app")
        role = body["data"]
        self.assertEqual(role["username"], "app_static")
        self.assertNotIn("password", role)

    def test_static_rotation_survives_an_outage(self):
        self.dev()
        self.configure()
        self.pg.admin("CREATE ROLE app_outage LOGIN PASSWORD 'x-initial'")
        self.c.secrets.database.create_static_role(
            "outage", "pg", "app_outage", None, rotation_period="5s")
        s1 = self.c.secrets.database.get_static_credentials(
            "outage")["data"]
        self.pg.stop()
        time.sleep(s1["ttl"] + 2)
        # A rotation is pending: nothing is shown that may not work.
        status, body = self.srv.request(
            "GET", "/v1/database/static-creds/outage")
        self.assertEqual(status, 503)
        self.assertIn("pending", body["errors"][0])
        self.pg.start()
        s2 = self.c.secrets.database.get_static_credentials(
            "outage")["data"]
        self.assertNotEqual(s2["password"], s1["password"])
        self.assertTrue(self.pg.can_login("app_outage", s2["password"]))
        self.assertFalse(self.pg.can_login("app_outage", s1["password"]))

    def test_static_role_for_a_missing_user(self):
        self.dev()
        self.configure()
        status, body = self.srv.request(
            "POST", "/v1/database/static-roles/ghost",
            {"db_name": "pg", "username": "no_such_user",
             "rotation_period": "1h"})
        self.assertEqual(status, 400)
        self.assertIn("does not exist", body["errors"][0])
        status, _ = self.srv.request("GET", "/v1/database/static-roles/"
                                     "ghost")
        self.assertEqual(status, 404)
        status, body = self.srv.request(
            "POST", "/v1/database/static-roles/fast",
            {"db_name": "pg", "username": "x", "rotation_period": "4s"})
        self.assertEqual(status, 400)
        self.assertIn("at least 5 seconds", body["errors"][0])

    # Root rotation --------------------------------------------------------

    def test_rotate_root(self):
        self.dev()
        self.pg.admin("CREATE ROLE root2 LOGIN CREATEROLE PASSWORD 'r2-pw'")
        self.pg.admin("GRANT SELECT ON canary TO root2 WITH GRANT OPTION")
        self.configure("pg", username="root2", password="r2-pw")
        self.role("after-root")
        self.c.secrets.database.rotate_root_credentials("pg")
        # Only Coffer knows the root password now, and it still works.
        self.assertFalse(self.pg.can_login("root2", "r2-pw"))
        r = self.creds("after-root")
        self.assertTrue(self.reads_canary(r["data"]["username"],
                                          r["data"]["password"]))
        conn = self.c.secrets.database.read_connection("pg")["data"]
        self.assertEqual(conn["connection_details"]["username"], "root2")
        self.assertNotIn("password", conn["connection_details"])
        self.assertNotIn("password", conn)
        self.c.sys.revoke_lease(r["lease_id"])

    # Bad input ------------------------------------------------------------

    def test_bad_input_is_refused_cleanly(self):
        self.dev()
        nowhere = ("postgresql://{{username}}:{{password}}@127.0.0.1:%d/"
                   "postgres" % free_port())
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.configure("bad", connection_url=nowhere)
        self.assertIn("error verifying connection", str(e.exception))
        self.assertNotIn(ADMIN_PASSWORD, str(e.exception))
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.c.secrets.database.read_connection("bad")
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.c.secrets.database.configure("x", "oracle-database-plugin",
                                              connection_url="x")
        self.assertIn("unsupported plugin_name", str(e.exception))

        self.configure(allowed_roles=["ok", "broken", "ttl"])
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.c.secrets.database.create_role("r", "nope", [CREATE])
        self.assertIn("\"nope\" does not exist", str(e.exception))
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.role("ttl", ttl="2h", max_ttl="1h")
        self.assertIn("cannot be greater than max_ttl", str(e.exception))
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.role("ok", stmts=["CREATE ROLE {{nmae}}"])
        self.assertIn("unknown or unset variable", str(e.exception))
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.creds("missing")
        self.assertIn("unknown role: missing", str(e.exception))

        # A syntax error after CREATE ROLE: nothing is left behind.
        self.role("broken", stmts=[CREATE, "GRANT SELECT ON canary TO "
                                   "\"{{name}}\" WITH GARBAGE;"])
        before = self.pg.users()
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.creds("broken")
        self.assertIn("syntax error", str(e.exception))
        self.assertEqual(self.pg.users(), before)
        status, _ = self.srv.request("LIST", "/v1/sys/leases/lookup/"
                                     "database/creds/broken")
        self.assertEqual(status, 404)

        # A role the connection does not allow.
        self.role("other")
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.creds("other")
        self.assertIn("not an allowed role", str(e.exception))

    def test_rollback_statements_run(self):
        self.dev()
        self.configure()
        # Outside the transaction (a statement that commits on its own
        # cannot be shown in PostgreSQL), so check they ran at all.
        self.pg.admin("CREATE TABLE rollback_log (who text)")
        self.pg.admin("GRANT INSERT ON rollback_log TO PUBLIC")
        self.role("rb", stmts=[CREATE, "SELECT 1/0;"],
                  rollback_statements=["INSERT INTO rollback_log VALUES "
                                       "('{{name}}')"])
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.creds("rb")
        self.assertIn("division by zero", str(e.exception))
        logged = self.pg.admin("SELECT who FROM rollback_log")
        self.assertEqual(len(logged), 1)
        self.assertTrue(logged[0].startswith("v-root-rb-"))
        self.assertNotIn(logged[0], self.pg.users())

    # Quoting --------------------------------------------------------------

    def test_names_cannot_inject_sql(self):
        self.dev()
        self.configure()
        evil = "o'r\"x; DROP TABLE canary; --"
        self.pg.admin("CREATE ROLE \"o'r\"\"x; DROP TABLE canary; --\" "
                      "LOGIN PASSWORD 'evil-initial'")
        self.c.secrets.database.create_static_role(
            "evil", "pg", evil, None, rotation_period="1h")
        s = self.c.secrets.database.get_static_credentials("evil")["data"]
        self.assertEqual(s["username"], evil)
        self.assertTrue(self.pg.can_login(evil, s["password"]))
        self.assertFalse(self.pg.can_login(evil, "evil-initial"))
        self.assertEqual(self.pg.admin("SELECT x FROM canary"), ["42"])

        # A role name full of quotes: the user name is made safe, and
        # bare {{name}} is quoted as an identifier by the driver.
        name = "r'\";--"
        self.role(name, stmts=["CREATE ROLE {{name}} LOGIN PASSWORD "
                               "{{password}};"])
        r = self.creds(name)
        user = r["data"]["username"]
        self.assertTrue(user.startswith("v-root-r___---"), user)
        self.assertTrue(self.pg.can_login(user, r["data"]["password"]))
        self.assertEqual(self.pg.admin("SELECT x FROM canary"), ["42"])
        self.c.sys.revoke_lease(r["lease_id"])
        self.assertNotIn(user, self.pg.users())

    # Crash safety ---------------------------------------------------------

    def test_crash_between_user_and_lease(self):
        self.sealed_server()
        self.configure()
        self.role("crash")
        before = set(self.pg.users())
        self.srv.stop()
        os.environ["COFFER_DB_FAULT"] = "crash-after-create"
        try:
            self.srv.start()
        finally:
            del os.environ["COFFER_DB_FAULT"]
        self.unseal()
        with self.assertRaises(Exception):
            self.creds("crash")
        self.assertEqual(self.srv.stop(), 70)
        orphans = set(self.pg.users()) - before
        self.assertEqual(len(orphans), 1)
        self.assertTrue(list(orphans)[0].startswith("v-root-crash-"))

        # On restart the orphan, which no lease tracks, is dropped.
        self.srv.start()
        self.unseal()
        self.assertTrue(wait_for(
            lambda: set(self.pg.users()) == before, 15))
        status, _ = self.srv.request("LIST", "/v1/sys/leases/lookup/"
                                     "database/creds/crash")
        self.assertEqual(status, 404)
        # And the engine still works.
        r = self.creds("crash")
        self.assertIn(r["data"]["username"], self.pg.users())


if __name__ == "__main__":
    main()

"""The database secrets engine's postgresql-database-plugin against a
real PostgreSQL: the flows every plugin goes through (dbcases.py), and
what is PostgreSQL's own: VALID UNTIL that follows the lease, the
database going down under a request, leases that die with their token,
the CLI, static rotation through an outage, bad input that leaves
nothing behind, rollback statements, and quoting."""

import json
import os
import subprocess
import time

import hvac.exceptions

from dbcases import DatabaseCases, wait_for
from dbserver import ADMIN_PASSWORD, Postgres
from harness import BIN, ServerTest, free_port, main

CREATE = ("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' "
          "VALID UNTIL '{{expiration}}';")
GRANT = "GRANT SELECT ON canary TO \"{{name}}\";"


class DatabasePostgres(DatabaseCases, ServerTest):
    PLUGIN = "postgresql-database-plugin"
    CONN = "pg"
    CREATE = CREATE
    GRANT = GRANT
    CANARY = "SELECT x FROM canary"
    EXPIRED_LOGIN = False  # the role's VALID UNTIL has passed

    @classmethod
    def setUpClass(cls):
        cls.db = Postgres()
        cls.db.start()
        cls.db.admin("CREATE TABLE canary (x int); INSERT INTO canary "
                     "VALUES (42)")

    def db_running(self):
        return self.db.running

    def create_login(self, user, password):
        self.db.admin("CREATE ROLE %s LOGIN PASSWORD '%s'" % (user, password))

    def create_root(self, user, password):
        self.db.admin("CREATE ROLE %s LOGIN CREATEROLE PASSWORD '%s'"
                      % (user, password))
        self.db.admin("GRANT SELECT ON canary TO %s WITH GRANT OPTION"
                      % user)

    def check_new_creds(self, r):
        self.assertTrue(r["lease_id"].startswith("database/creds/reader/"))
        self.assertTrue(r["renewable"])
        self.assertEqual(r["lease_duration"], 3600)
        self.assertEqual(len(r["data"]["password"]), 20)
        self.assertIn(r["data"]["username"], self.db.users())

    def renew_and_check(self, r, user):
        # Renewal moves the database's own VALID UNTIL as well.
        self.role("reader", ttl="1h", max_ttl="2h")
        r2 = self.c.sys.renew_lease(r["lease_id"], increment=600)
        self.assertEqual(r2["lease_duration"], 600)
        until = self.db.admin("SELECT extract(epoch FROM rolvaliduntil "
                              "- now())::int FROM pg_roles WHERE "
                              "rolname = '%s'" % user)[0]
        self.assertTrue(590 <= int(until) <= 601, until)

    # Dynamic credentials ------------------------------------------------

    def test_creds_with_the_database_down(self):
        self.dev()
        self.configure()
        self.role("down")
        self.db.stop()
        status, body = self.srv.request("GET", "/v1/database/creds/down")
        self.assertEqual(status, 503)
        self.assertIn("database unavailable", body["errors"][0])
        self.db.start()
        # The pool drops its dead connections and connects again.
        r = self.creds("down")
        self.assertTrue(self.db.can_login(r["data"]["username"],
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
        self.assertIn(user, self.db.users())
        self.c.auth.token.revoke(tok["client_token"])
        self.assertTrue(wait_for(lambda: user not in self.db.users(), 10))

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
        self.assertTrue(self.db.can_login(user, pw))
        self.cli("lease", "renew", r["lease_id"])
        self.cli("lease", "revoke", r["lease_id"])
        self.assertFalse(self.db.can_login(user, pw))

        # Disabling the mount revokes what it handed out.
        r = self.creds("cli")
        self.assertIn(r["data"]["username"], self.db.users())
        self.c.sys.disable_secrets_engine("database")
        self.assertNotIn(r["data"]["username"], self.db.users())

    # Static roles ---------------------------------------------------------

    def test_static_rotation_survives_an_outage(self):
        self.dev()
        self.configure()
        self.db.admin("CREATE ROLE app_outage LOGIN PASSWORD 'x-initial'")
        self.c.secrets.database.create_static_role(
            "outage", "pg", "app_outage", None, rotation_period="5s")
        s1 = self.c.secrets.database.get_static_credentials(
            "outage")["data"]
        self.db.stop()
        time.sleep(s1["ttl"] + 2)
        # A rotation is pending: nothing is shown that may not work.
        status, body = self.srv.request(
            "GET", "/v1/database/static-creds/outage")
        self.assertEqual(status, 503)
        self.assertIn("pending", body["errors"][0])
        self.db.start()
        s2 = self.c.secrets.database.get_static_credentials(
            "outage")["data"]
        self.assertNotEqual(s2["password"], s1["password"])
        self.assertTrue(self.db.can_login("app_outage", s2["password"]))
        self.assertFalse(self.db.can_login("app_outage", s1["password"]))

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

        self.configure(allowed_roles=["broken"])

        # A syntax error after CREATE ROLE: nothing is left behind.
        self.role("broken", stmts=[CREATE, "GRANT SELECT ON canary TO "
                                   "\"{{name}}\" WITH GARBAGE;"])
        before = self.db.users()
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.creds("broken")
        self.assertIn("syntax error", str(e.exception))
        self.assertEqual(self.db.users(), before)
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
        self.db.admin("CREATE TABLE rollback_log (who text)")
        self.db.admin("GRANT INSERT ON rollback_log TO PUBLIC")
        self.role("rb", stmts=[CREATE, "SELECT 1/0;"],
                  rollback_statements=["INSERT INTO rollback_log VALUES "
                                       "('{{name}}')"])
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.creds("rb")
        self.assertIn("division by zero", str(e.exception))
        logged = self.db.admin("SELECT who FROM rollback_log")
        self.assertEqual(len(logged), 1)
        self.assertTrue(logged[0].startswith("v-root-rb-"))
        self.assertNotIn(logged[0], self.db.users())

    # Quoting --------------------------------------------------------------

    def test_names_cannot_inject_sql(self):
        self.dev()
        self.configure()
        evil = "o'r\"x; DROP TABLE canary; --"
        self.db.admin("CREATE ROLE \"o'r\"\"x; DROP TABLE canary; --\" "
                      "LOGIN PASSWORD 'evil-initial'")
        self.c.secrets.database.create_static_role(
            "evil", "pg", evil, None, rotation_period="1h")
        s = self.c.secrets.database.get_static_credentials("evil")["data"]
        self.assertEqual(s["username"], evil)
        self.assertTrue(self.db.can_login(evil, s["password"]))
        self.assertFalse(self.db.can_login(evil, "evil-initial"))
        self.assertEqual(self.db.admin("SELECT x FROM canary"), ["42"])

        # A role name full of quotes: the user name is made safe, and
        # bare {{name}} is quoted as an identifier by the driver.
        name = "r'\";--"
        self.role(name, stmts=["CREATE ROLE {{name}} LOGIN PASSWORD "
                               "{{password}};"])
        r = self.creds(name)
        user = r["data"]["username"]
        self.assertTrue(user.startswith("v-root-r___---"), user)
        self.assertTrue(self.db.can_login(user, r["data"]["password"]))
        self.assertEqual(self.db.admin("SELECT x FROM canary"), ["42"])
        self.c.sys.revoke_lease(r["lease_id"])
        self.assertNotIn(user, self.db.users())


if __name__ == "__main__":
    main()

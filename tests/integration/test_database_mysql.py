"""The database secrets engine's mysql-database-plugin against a real
MariaDB: dynamic users that log in and stop working when their lease ends
(revoked, expired, across a restart, after an outage), static rotation,
bad input without leftovers (MySQL commits DDL as it goes, so the
rollback path is what cleans up), quoting, and the crash orphan."""

import os
import time

import hvac
import hvac.exceptions

from dbserver import ADMIN, ADMIN_PASSWORD, MariaDB
from harness import ServerTest, free_port, main

CREATE = "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';"
GRANT = "GRANT SELECT ON canarydb.* TO '{{name}}'@'%';"


def wait_for(cond, timeout, step=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


class DatabaseMySQL(ServerTest):
    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()
        cls.db.admin("CREATE DATABASE canarydb; CREATE TABLE canarydb.t "
                     "(x int); INSERT INTO canarydb.t VALUES (42)")

    @classmethod
    def tearDownClass(cls):
        cls.db.cleanup()

    def setUp(self):
        super().setUp()
        if self.db.proc is None:
            self.db.start()

    def dev(self):
        self.srv = self.server(dev=True).start()
        self.c = self.srv.client()
        self.c.sys.enable_secrets_engine("database", path="database")

    def sealed_server(self):
        self.srv = self.server().start()
        c = self.srv.client()
        init = c.sys.initialize(secret_shares=1, secret_threshold=1)
        self.srv.root_token = init["root_token"]
        self.key = init["keys"][0]
        self.unseal()
        self.c.sys.enable_secrets_engine("database", path="database")

    def unseal(self):
        self.c = self.srv.client()
        self.c.sys.submit_unseal_key(self.key)

    def configure(self, **kw):
        kw.setdefault("allowed_roles", ["*"])
        kw.setdefault("connection_url", self.db.url())
        kw.setdefault("username", ADMIN)
        kw.setdefault("password", ADMIN_PASSWORD)
        return self.c.secrets.database.configure(
            "my", "mysql-database-plugin", **kw)

    def role(self, name, ttl="1h", max_ttl="24h", stmts=None, **kw):
        return self.c.secrets.database.create_role(
            name, "my", stmts or [CREATE, GRANT], default_ttl=ttl,
            max_ttl=max_ttl, **kw)

    def creds(self, role):
        return self.c.secrets.database.generate_credentials(role)

    def reads_canary(self, user, password):
        code, out = self.db.sql("SELECT x FROM canarydb.t", user, password)
        return code == 0 and out == ["42"]

    def lease_gone(self, lease_id):
        try:
            self.c.sys.read_lease(lease_id)
            return False
        except hvac.exceptions.InvalidRequest:
            return True

    def test_creds_log_in_until_revoked(self):
        self.dev()
        self.configure()
        self.role("reader")
        r = self.creds("reader")
        user, pw = r["data"]["username"], r["data"]["password"]
        self.assertLessEqual(len(user), 32)
        self.assertTrue(user.startswith("v-root-reader-"))
        self.assertTrue(self.reads_canary(user, pw))
        # No renew statements: the lease renews, the account is untouched.
        self.assertEqual(self.c.sys.renew_lease(
            r["lease_id"], increment=60)["lease_duration"], 60)
        self.c.sys.revoke_lease(r["lease_id"])
        self.assertFalse(self.db.can_login(user, pw))
        self.assertNotIn(user, self.db.users())
        self.assertTrue(self.lease_gone(r["lease_id"]))

    def test_creds_end_with_their_ttl(self):
        self.dev()
        self.configure()
        self.role("short", ttl="2s", max_ttl="10s")
        r = self.creds("short")
        user, pw = r["data"]["username"], r["data"]["password"]
        self.assertTrue(self.db.can_login(user, pw))
        self.assertTrue(wait_for(lambda: user not in self.db.users(), 10))
        self.assertFalse(self.db.can_login(user, pw))

    def test_expiry_after_a_restart(self):
        self.sealed_server()
        self.configure()
        self.role("restart", ttl="3s", max_ttl="10s")
        r = self.creds("restart")
        user, pw = r["data"]["username"], r["data"]["password"]
        self.srv.stop()
        time.sleep(4)
        self.assertTrue(self.db.can_login(user, pw))
        self.srv.start()
        self.unseal()
        self.assertTrue(wait_for(lambda: user not in self.db.users(), 10))
        self.assertFalse(self.db.can_login(user, pw))

    def test_revocation_waits_for_the_database(self):
        self.dev()
        self.configure()
        self.role("outage", ttl="2s", max_ttl="10s")
        r = self.creds("outage")
        user, pw = r["data"]["username"], r["data"]["password"]
        self.db.stop()
        time.sleep(4)
        self.assertEqual(self.c.sys.read_lease(r["lease_id"])["data"]["id"],
                         r["lease_id"])
        self.db.start()
        self.assertIn(user, self.db.users())
        self.assertTrue(wait_for(lambda: user not in self.db.users(), 25))
        self.assertFalse(self.db.can_login(user, pw))
        self.assertTrue(wait_for(lambda: self.lease_gone(r["lease_id"]), 5))

    def test_static_role_rotates(self):
        self.dev()
        self.configure()
        self.db.admin("CREATE USER 'app_static'@'%' IDENTIFIED BY "
                      "'app-initial'")
        self.c.secrets.database.create_static_role(
            "app", "my", "app_static", None, rotation_period="5s")
        self.assertFalse(self.db.can_login("app_static", "app-initial"))
        s1 = self.c.secrets.database.get_static_credentials("app")["data"]
        self.assertTrue(self.db.can_login("app_static", s1["password"]))
        time.sleep(s1["ttl"] + 2.5)
        s2 = self.c.secrets.database.get_static_credentials("app")["data"]
        self.assertNotEqual(s2["password"], s1["password"])
        self.assertTrue(self.db.can_login("app_static", s2["password"]))
        self.assertFalse(self.db.can_login("app_static", s1["password"]))

    def test_rotate_root(self):
        self.dev()
        self.db.admin("CREATE USER 'root2'@'%' IDENTIFIED BY 'r2-pw'; "
                      "GRANT ALL ON *.* TO 'root2'@'%' WITH GRANT OPTION")
        self.configure(username="root2", password="r2-pw")
        self.role("after-root")
        self.c.secrets.database.rotate_root_credentials("my")
        self.assertFalse(self.db.can_login("root2", "r2-pw"))
        r = self.creds("after-root")
        self.assertTrue(self.reads_canary(r["data"]["username"],
                                          r["data"]["password"]))
        self.c.sys.revoke_lease(r["lease_id"])

    def test_bad_input_leaves_nothing(self):
        self.dev()
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.configure(connection_url="{{username}}:{{password}}@tcp("
                           "127.0.0.1:%d)/" % free_port())
        self.assertIn("error verifying connection", str(e.exception))
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.configure(connection_url="127.0.0.1:3306")
        self.assertIn("tcp(host:port)", str(e.exception))
        self.configure()
        before = self.db.users()

        # The user is made, then the GRANT fails: the user is dropped.
        self.role("broken", stmts=[CREATE, "GRANT SELEKT ON canarydb.* "
                                   "TO '{{name}}'@'%';"])
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.creds("broken")
        self.assertIn("syntax", str(e.exception))
        self.assertEqual(self.db.users(), before)

        # Operator rollback statements run as well.
        self.db.admin("CREATE TABLE canarydb.rb (who text); GRANT INSERT "
                      "ON canarydb.rb TO '%s'@'%%'" % ADMIN)
        self.role("rb", stmts=[CREATE, "SELECT * FROM nodb.nowhere;"],
                  rollback_statements=[
                      "INSERT INTO canarydb.rb VALUES ('{{name}}');",
                      "DROP USER '{{name}}'@'%';"])
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.creds("rb")
        logged = self.db.admin("SELECT who FROM canarydb.rb")
        self.assertEqual(len(logged), 1)
        self.assertEqual(self.db.users(), before)

        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.c.secrets.database.create_role("r", "nope", [CREATE])
        self.assertIn("does not exist", str(e.exception))
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.role("ttl", ttl="2h", max_ttl="1h")
        self.assertIn("max_ttl", str(e.exception))

    def test_names_cannot_inject_sql(self):
        self.dev()
        self.configure()
        evil = "o'r\"x\\; DROP DATABASE canarydb; --"
        self.db.admin("CREATE USER 'o\\'r\"x\\\\; DROP DATABASE canarydb; "
                      "--'@'%' IDENTIFIED BY 'evil-initial'")
        self.assertIn(evil, self.db.users("o"))
        self.c.secrets.database.create_static_role(
            "evil", "my", evil, None, rotation_period="1h")
        s = self.c.secrets.database.get_static_credentials("evil")["data"]
        self.assertTrue(self.db.can_login(evil, s["password"]))
        self.assertFalse(self.db.can_login(evil, "evil-initial"))
        self.assertEqual(self.db.admin("SELECT x FROM canarydb.t"), ["42"])

    def test_crash_between_user_and_lease(self):
        self.sealed_server()
        self.configure()
        self.role("crash")
        before = set(self.db.users())
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
        self.assertEqual(len(set(self.db.users()) - before), 1)
        self.srv.start()
        self.unseal()
        self.assertTrue(wait_for(
            lambda: set(self.db.users()) == before, 15))


if __name__ == "__main__":
    main()

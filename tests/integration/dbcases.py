"""What the database secrets engine's integration tests share, whatever
database the plugin speaks to: a server with the engine mounted, helpers
that configure a connection and roles, and the test flows that go the
same way for every plugin: dynamic users that log in and stop working
when their lease ends (revoked, expired, across a restart, after an
outage), the checks on a role, static rotation, rotate-root, and the
crash between creating a user and recording its lease.

A test file mixes DatabaseCases into a ServerTest, starts its database in
setUpClass as cls.db (a dbserver instance holding the canary value 42),
and says what differs between databases: the class attributes and the
hooks listed in DatabaseCases."""

import os
import time

import hvac.exceptions

from dbserver import ADMIN, ADMIN_PASSWORD


def wait_for(cond, timeout, step=0.25):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


class DatabaseCases:
    """The shared flows. A subclass defines:

    PLUGIN   the plugin_name of the connection
    CONN     the name the connection is configured under
    CREATE, GRANT
             the creation statements of a role that can read the canary
    CANARY   the query that reads the canary value
    EXPIRED_LOGIN
             whether a user whose lease ran out while nobody revoked it
             can still log in (the account may expire on its own)

    db_running()             whether the database is up
    create_login(user, pw)   a login for a static role to take over
    create_root(user, pw)    an account allowed to create logins, to hand
                             to Coffer as its root credentials
    check_new_creds(r)       checks of its own on new credentials r
    renew_and_check(r, user) renews the lease of r and checks what the
                             renewal did to the database's account
    """

    @classmethod
    def tearDownClass(cls):
        cls.db.cleanup()

    def setUp(self):
        super().setUp()
        if not self.db_running():
            self.db.start()

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

    def configure(self, name=None, **kw):
        kw.setdefault("allowed_roles", ["*"])
        kw.setdefault("connection_url", self.db.url())
        kw.setdefault("username", ADMIN)
        kw.setdefault("password", ADMIN_PASSWORD)
        return self.c.secrets.database.configure(
            name or self.CONN, self.PLUGIN, **kw)

    def role(self, name, ttl="1h", max_ttl="24h", stmts=None, **kw):
        return self.c.secrets.database.create_role(
            name, self.CONN, stmts or [self.CREATE, self.GRANT],
            default_ttl=ttl, max_ttl=max_ttl, **kw)

    def creds(self, role):
        return self.c.secrets.database.generate_credentials(role)

    def reads_canary(self, user, password):
        code, out = self.db.sql(self.CANARY, user, password)
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
        self.assertTrue(user.startswith("v-root-reader-"))
        self.check_new_creds(r)
        self.assertTrue(self.reads_canary(user, pw))
        self.renew_and_check(r, user)
        self.c.sys.revoke_lease(r["lease_id"])
        self.assertFalse(self.db.can_login(user, pw))
        self.assertNotIn(user, self.db.users())
        self.assertTrue(self.lease_gone(r["lease_id"]))

    def test_creds_end_with_their_ttl_without_any_call(self):
        self.dev()
        self.configure()
        self.role("short", ttl="2s", max_ttl="10s")
        r = self.creds("short")
        user, pw = r["data"]["username"], r["data"]["password"]
        self.assertEqual(r["lease_duration"], 2)
        self.assertTrue(self.db.can_login(user, pw))
        self.assertTrue(wait_for(lambda: user not in self.db.users(), 10))
        self.assertFalse(self.db.can_login(user, pw))

    def test_expiry_still_happens_after_a_restart(self):
        self.sealed_server()
        self.configure()
        self.role("restart", ttl="3s", max_ttl="10s")
        r = self.creds("restart")
        user, pw = r["data"]["username"], r["data"]["password"]
        self.assertTrue(self.db.can_login(user, pw))
        self.srv.stop()
        time.sleep(4)
        # Nobody revoked it while the server was down.
        self.assertIn(user, self.db.users())
        self.assertEqual(self.db.can_login(user, pw), self.EXPIRED_LOGIN)
        self.srv.start()
        self.unseal()
        self.assertTrue(wait_for(lambda: user not in self.db.users(), 10))
        self.assertFalse(self.db.can_login(user, pw))
        self.assertTrue(self.lease_gone(r["lease_id"]))

    def test_revocation_waits_for_the_database(self):
        self.dev()
        self.configure()
        self.role("outage", ttl="2s", max_ttl="10s")
        r = self.creds("outage")
        user, pw = r["data"]["username"], r["data"]["password"]
        self.db.stop()
        time.sleep(4)
        # Expired, but the database is down: the lease stays, pending.
        lease = self.c.sys.read_lease(r["lease_id"])["data"]
        self.assertEqual(lease["id"], r["lease_id"])
        self.assertIn("failed", self.srv.read_log())
        self.db.start()
        self.assertIn(user, self.db.users())
        # The first retry comes 10 s after the failure.
        self.assertTrue(wait_for(lambda: user not in self.db.users(), 25))
        self.assertFalse(self.db.can_login(user, pw))
        self.assertTrue(wait_for(lambda: self.lease_gone(r["lease_id"]), 5))

    def test_roles_are_checked(self):
        self.dev()
        self.configure()
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.c.secrets.database.create_role("r", "nope", [self.CREATE])
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

    # Static roles ---------------------------------------------------------

    def test_static_role_rotates(self):
        self.dev()
        self.configure()
        self.create_login("app_static", "app-initial")
        self.c.secrets.database.create_static_role(
            "app", self.CONN, "app_static", None, rotation_period="5s")
        # Rotated at creation: the initial password is gone.
        self.assertFalse(self.db.can_login("app_static", "app-initial"))
        s1 = self.c.secrets.database.get_static_credentials("app")["data"]
        self.assertEqual(s1["username"], "app_static")
        self.assertEqual(s1["rotation_period"], 5)
        self.assertTrue(0 <= s1["ttl"] <= 5)
        self.assertTrue(s1["last_vault_rotation"].endswith("Z"))
        self.assertTrue(self.db.can_login("app_static", s1["password"]))

        # The period passes without any call: a new password.
        time.sleep(s1["ttl"] + 2.5)
        s2 = self.c.secrets.database.get_static_credentials("app")["data"]
        self.assertNotEqual(s2["password"], s1["password"])
        self.assertTrue(self.db.can_login("app_static", s2["password"]))
        self.assertFalse(self.db.can_login("app_static", s1["password"]))

        # rotate-role forces one now.
        status, _ = self.srv.request("POST", "/v1/database/rotate-role/app")
        self.assertEqual(status, 204)
        s3 = self.c.secrets.database.get_static_credentials("app")["data"]
        self.assertNotIn(s3["password"], (s1["password"], s2["password"]))
        self.assertTrue(self.db.can_login("app_static", s3["password"]))
        self.assertFalse(self.db.can_login("app_static", s2["password"]))
        _, body = self.srv.request("GET", "/v1/database/static-roles/app")
        role = body["data"]
        self.assertEqual(role["username"], "app_static")
        self.assertNotIn("password", role)

    # Root rotation --------------------------------------------------------

    def test_rotate_root(self):
        self.dev()
        self.create_root("root2", "r2-pw")
        self.configure(username="root2", password="r2-pw")
        self.role("after-root")
        self.c.secrets.database.rotate_root_credentials(self.CONN)
        # Only Coffer knows the root password now, and it still works.
        self.assertFalse(self.db.can_login("root2", "r2-pw"))
        r = self.creds("after-root")
        self.assertTrue(self.reads_canary(r["data"]["username"],
                                          r["data"]["password"]))
        conn = self.c.secrets.database.read_connection(self.CONN)["data"]
        self.assertEqual(conn["connection_details"]["username"], "root2")
        self.assertNotIn("password", conn["connection_details"])
        self.assertNotIn("password", conn)
        self.c.sys.revoke_lease(r["lease_id"])

    # Crash safety ---------------------------------------------------------

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
        orphans = set(self.db.users()) - before
        self.assertEqual(len(orphans), 1)
        self.assertTrue(list(orphans)[0].startswith("v-root-crash-"))

        # On restart the orphan, which no lease tracks, is dropped.
        self.srv.start()
        self.unseal()
        self.assertTrue(wait_for(
            lambda: set(self.db.users()) == before, 15))
        status, _ = self.srv.request("LIST", "/v1/sys/leases/lookup/"
                                     "database/creds/crash")
        self.assertEqual(status, 404)
        # And the engine still works.
        r = self.creds("crash")
        self.assertIn(r["data"]["username"], self.db.users())

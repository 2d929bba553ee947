"""`coffer run -renew` with real dynamic credentials: a PostgreSQL user
made for the child outlives its short TTL because coffer renews the lease
while the child runs, and is dropped when the child exits."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

import hvac.exceptions

from dbserver import ADMIN, ADMIN_PASSWORD, Postgres
from harness import BIN, ServerTest, main

CREATE = ("CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD '{{password}}' "
          "VALID UNTIL '{{expiration}}';")
GRANT = "GRANT SELECT ON canary TO \"{{name}}\";"

# Writes the credentials it was given to a file, then waits for the test
# to say stop; exits 3 so the test sees the status come through.
CHILD = """
import os, sys, time
with open(sys.argv[1] + ".tmp", "w") as f:
    f.write(os.environ["DB_USER"] + "\\n" + os.environ["DB_PASS"])
os.rename(sys.argv[1] + ".tmp", sys.argv[1])
while not os.path.exists(sys.argv[2]):
    time.sleep(0.1)
sys.exit(3)
"""


def wait_for(cond, timeout, step=0.2):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


class RunRenew(ServerTest):
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
        self.tmp = tempfile.mkdtemp(prefix="coffer-run-lease-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.srv = self.server(dev=True).start()
        self.c = self.srv.client()
        self.c.sys.enable_secrets_engine("database", path="database")
        self.c.secrets.database.configure(
            "pg", "postgresql-database-plugin", allowed_roles=["*"],
            connection_url=self.pg.url(), username=ADMIN,
            password=ADMIN_PASSWORD)
        # Three seconds to live, renewable up to a minute.
        self.c.secrets.database.create_role(
            "short", "pg", [CREATE, GRANT], default_ttl="3s",
            max_ttl="60s")

    def reads_canary(self, user, password):
        code, out = self.pg.sql("SELECT x FROM canary", user, password)
        return code == 0 and out == ["42"]

    def leases(self):
        try:
            keys = self.c.sys.list_leases("database/creds/short")
            return keys["data"]["keys"]
        except hvac.exceptions.InvalidPath:
            return []

    def start_run(self, role):
        """coffer run -renew with a child holding role's credentials;
        returns the process, the file the child writes them to, and the
        file whose creation tells the child to exit."""
        child = os.path.join(self.tmp, "child.py")
        with open(child, "w") as f:
            f.write(CHILD)
        creds, stop = (os.path.join(self.tmp, role + ".creds"),
                       os.path.join(self.tmp, role + ".stop"))
        env = dict(os.environ, VAULT_ADDR=self.srv.addr, VAULT_TOKEN="root",
                   HOME=self.tmp)
        p = subprocess.Popen(
            [BIN, "run", "-renew",
             "-env", "DB_USER=database/creds/%s#username" % role,
             "-env", "DB_PASS=database/creds/%s#password" % role,
             "--", sys.executable, child, creds, stop],
            env=env, cwd=self.tmp, stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT, text=True)
        return p, creds, stop

    def test_renewed_while_the_child_runs_revoked_after(self):
        p, creds, stop = self.start_run("short")
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(creds), 20))
            with open(creds) as f:
                user, password = f.read().split("\n")
            # One read of the path: both variables are the same user.
            self.assertEqual(len(self.leases()), 1)
            self.assertTrue(self.reads_canary(user, password))

            # Well past the 3 s TTL the user still works: renewed.
            time.sleep(7)
            self.assertEqual(len(self.leases()), 1)
            self.assertTrue(self.reads_canary(user, password))
            self.assertIn(user, self.pg.users())
        finally:
            open(stop, "w").close()
            out, _ = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 3, out)

        # The child is gone: its lease is revoked and the user dropped.
        self.assertEqual(self.leases(), [])
        self.assertTrue(wait_for(lambda: user not in self.pg.users(), 10))
        self.assertFalse(self.reads_canary(user, password))
        self.assertNotIn(password, out)

    def test_child_outliving_max_ttl_is_told(self):
        """Renewal cannot pass max_ttl: once the server lets the lease
        end, coffer says the lease is expiring instead of pretending,
        and the child keeps running."""
        self.c.secrets.database.create_role(
            "capped", "pg", [CREATE, GRANT], default_ttl="2s",
            max_ttl="4s")
        p, creds, stop = self.start_run("capped")
        try:
            self.assertTrue(wait_for(lambda: os.path.exists(creds), 20))
            time.sleep(6)
            self.assertIsNone(p.poll())
        finally:
            open(stop, "w").close()
            out, _ = p.communicate(timeout=30)
        self.assertEqual(p.returncode, 3, out)
        self.assertIn("could not be renewed and is expiring", out)


if __name__ == "__main__":
    main()

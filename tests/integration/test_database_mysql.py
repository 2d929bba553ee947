"""The database secrets engine's mysql-database-plugin against a real
MariaDB: the flows every plugin goes through (dbcases.py), and what is
MySQL's own: bad input without leftovers (MySQL commits DDL as it goes,
so the rollback path is what cleans up), its short user names, and
quoting."""

import hvac.exceptions

from dbcases import DatabaseCases
from dbserver import ADMIN, MariaDB
from harness import ServerTest, free_port, main

CREATE = "CREATE USER '{{name}}'@'%' IDENTIFIED BY '{{password}}';"
GRANT = "GRANT SELECT ON canarydb.* TO '{{name}}'@'%';"


class DatabaseMySQL(DatabaseCases, ServerTest):
    PLUGIN = "mysql-database-plugin"
    CONN = "my"
    CREATE = CREATE
    GRANT = GRANT
    CANARY = "SELECT x FROM canarydb.t"
    EXPIRED_LOGIN = True  # a MySQL account has no end of its own

    @classmethod
    def setUpClass(cls):
        cls.db = MariaDB()
        cls.db.admin("CREATE DATABASE canarydb; CREATE TABLE canarydb.t "
                     "(x int); INSERT INTO canarydb.t VALUES (42)")

    def db_running(self):
        return self.db.proc is not None

    def create_login(self, user, password):
        self.db.admin("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'"
                      % (user, password))

    def create_root(self, user, password):
        self.db.admin("CREATE USER '%s'@'%%' IDENTIFIED BY '%s'; GRANT ALL "
                      "ON *.* TO '%s'@'%%' WITH GRANT OPTION"
                      % (user, password, user))

    def check_new_creds(self, r):
        # MySQL caps user names at 32 characters.
        self.assertLessEqual(len(r["data"]["username"]), 32)

    def renew_and_check(self, r, user):
        # No renew statements: the lease renews, the account is untouched.
        self.assertEqual(self.c.sys.renew_lease(
            r["lease_id"], increment=60)["lease_duration"], 60)

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


if __name__ == "__main__":
    main()

"""Real database servers for the database engine's integration tests.

Each instance is a private PostgreSQL or MariaDB in a temporary folder,
listening on a free loopback port, with one administrative user that the
tests hand to Coffer as its root credentials. PostgreSQL refuses to run
as root, so when the tests run as root it is started as the "postgres"
system user (Debian's postgresql package creates it); mariadbd accepts
--user=root. The clients are psql and mariadb, so no Python driver is
needed.
"""

import glob
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time

from harness import free_port

ADMIN = "coffer_admin"
ADMIN_PASSWORD = "initial-root-pw"


def _pg_bin():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed "
                           "(scripts/install-deps.sh test installs it)")
    return os.path.dirname(found[-1])


class Postgres:
    def __init__(self):
        self.bin = _pg_bin()
        self.dir = tempfile.mkdtemp(prefix="coffer-pg-")
        self.data = os.path.join(self.dir, "data")
        self.port = free_port()
        self.running = False
        self.prefix = []
        pwfile = os.path.join(self.dir, "pw")
        with open(pwfile, "w") as f:
            f.write(ADMIN_PASSWORD)
        if os.geteuid() == 0:
            pg = pwd.getpwnam("postgres")
            for p in (self.dir, pwfile):
                os.chown(p, pg.pw_uid, pg.pw_gid)
            self.prefix = ["runuser", "-u", "postgres", "--"]
        self._run([os.path.join(self.bin, "initdb"), "-D", self.data,
                   "-U", ADMIN, "--pwfile=" + pwfile, "-A",
                   "scram-sha-256", "--no-sync"])
        os.unlink(pwfile)

    def _run(self, args):
        r = subprocess.run(self.prefix + args, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("%s failed:\n%s"
                               % (args[0], r.stdout.decode()))

    def start(self):
        opts = ("-p %d -c listen_addresses=127.0.0.1 -k %s -c fsync=off"
                % (self.port, self.dir))
        self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                   "-l", os.path.join(self.dir, "log"), "-w", "-o", opts,
                   "start"])
        self.running = True

    def stop(self):
        if self.running:
            self._run([os.path.join(self.bin, "pg_ctl"), "-D", self.data,
                       "-m", "fast", "-w", "stop"])
            self.running = False

    def cleanup(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self):
        return ("postgresql://{{username}}:{{password}}@127.0.0.1:%d/"
                "postgres?sslmode=disable" % self.port)

    def sql(self, query, user=ADMIN, password=ADMIN_PASSWORD):
        """Runs query; returns (exit code, output lines)."""
        env = dict(os.environ, PGPASSWORD=password, PGCONNECT_TIMEOUT="5")
        r = subprocess.run(
            ["psql", "-h", "127.0.0.1", "-p", str(self.port), "-U", user,
             "-d", "postgres", "-At", "-v", "ON_ERROR_STOP=1", "-c", query],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            timeout=30)
        return r.returncode, r.stdout.decode().splitlines()

    def admin(self, query):
        code, out = self.sql(query)
        if code != 0:
            raise RuntimeError("admin query failed: %s" % out)
        return out

    def can_login(self, user, password):
        code, _ = self.sql("SELECT 1", user, password)
        return code == 0

    def users(self, prefix="v-"):
        return self.admin("SELECT rolname FROM pg_roles WHERE rolname "
                          "LIKE '%s%%' ORDER BY 1" % prefix)


class MariaDB:
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix="coffer-my-")
        self.data = os.path.join(self.dir, "data")
        self.sock = os.path.join(self.dir, "sock")
        self.port = free_port()
        self.proc = None
        self.user_opt = ["--user=root"] if os.geteuid() == 0 else []
        if shutil.which("mariadb-install-db") is None:
            raise RuntimeError("MariaDB is not installed "
                               "(scripts/install-deps.sh test installs it)")
        r = subprocess.run(
            ["mariadb-install-db", "--no-defaults", "--datadir=" + self.data,
             "--auth-root-authentication-method=socket", "--skip-test-db"]
            + self.user_opt,
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=120)
        if r.returncode != 0:
            raise RuntimeError("mariadb-install-db failed:\n"
                               + r.stdout.decode())
        self.start()
        self._client(["-uroot", "--socket=" + self.sock],
                     "CREATE USER '%s'@'%%' IDENTIFIED BY '%s'; "
                     "GRANT ALL ON *.* TO '%s'@'%%' WITH GRANT OPTION;"
                     % (ADMIN, ADMIN_PASSWORD, ADMIN), check=True)

    def start(self):
        self.log = open(os.path.join(self.dir, "log"), "ab")
        self.proc = subprocess.Popen(
            ["mariadbd", "--no-defaults", "--datadir=" + self.data,
             "--port=%d" % self.port, "--bind-address=127.0.0.1",
             "--socket=" + self.sock,
             "--pid-file=" + os.path.join(self.dir, "pid"),
             "--skip-log-bin", "--innodb-buffer-pool-size=16M",
             "--skip-name-resolve", "--innodb-flush-log-at-trx-commit=2"]
            + self.user_opt, stdout=self.log, stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("mariadbd exited")
            r = subprocess.run(["mariadb-admin", "--no-defaults", "-uroot",
                                "--socket=" + self.sock, "ping"],
                               stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL)
            if r.returncode == 0:
                return
            time.sleep(0.2)
        raise RuntimeError("mariadbd did not start")

    def stop(self):
        if self.proc is not None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None
            self.log.close()

    def cleanup(self):
        try:
            self.stop()
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)

    def url(self):
        return "{{username}}:{{password}}@tcp(127.0.0.1:%d)/" % self.port

    def _client(self, auth, query, check=False, env=None):
        r = subprocess.run(["mariadb", "--no-defaults", "-N", "-B", "-r"]
                           + auth + ["-e", query], env=env,
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=30)
        if check and r.returncode != 0:
            raise RuntimeError("query failed: %s" % r.stdout.decode())
        return r.returncode, r.stdout.decode().splitlines()

    def sql(self, query, user=ADMIN, password=ADMIN_PASSWORD):
        env = dict(os.environ, MYSQL_PWD=password)
        return self._client(["-h127.0.0.1", "-P%d" % self.port,
                             "-u" + user, "--connect-timeout=5"],
                            query, env=env)

    def admin(self, query):
        code, out = self.sql(query)
        if code != 0:
            raise RuntimeError("admin query failed: %s" % out)
        return out

    def can_login(self, user, password):
        code, _ = self.sql("SELECT 1", user, password)
        return code == 0

    def users(self, prefix="v-"):
        return self.admin("SELECT User FROM mysql.user WHERE User LIKE "
                          "'%s%%' ORDER BY 1" % prefix)

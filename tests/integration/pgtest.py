"""A throw-away PostgreSQL server for the integration tests.

initdb and pg_ctl run in a fresh temporary folder, on a free loopback
port, with the socket in that folder. PostgreSQL refuses to run as root,
so when the tests run as root the server runs as the "postgres" user
(runuser). Everything is removed again by cleanup().

available() says whether the binaries are installed; tests skip without
them.
"""

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
import time

from harness import free_port


def _bindir():
    for d in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if os.path.exists(os.path.join(d, "pg_ctl")):
            return d
    found = shutil.which("pg_ctl")
    return os.path.dirname(found) if found else None


def available():
    if _bindir() is None:
        return False
    if os.geteuid() == 0:
        try:
            pwd.getpwnam("postgres")
        except KeyError:
            return False
    return True


class Postgres:
    """One PostgreSQL cluster; start(), stop(), start() again, cleanup()."""

    def __init__(self):
        self.bin = _bindir()
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="coffer-pg-")
        self.data = os.path.join(self.dir, "data")
        self.log = os.path.join(self.dir, "pg.log")
        self.user = None
        if os.geteuid() == 0:
            self.user = "postgres"
            pw = pwd.getpwnam("postgres")
            os.chown(self.dir, pw.pw_uid, pw.pw_gid)
            os.chmod(self.dir, 0o700)
        self.url = ("postgresql://coffer@127.0.0.1:%d/coffer"
                    "?sslmode=disable" % self.port)

    def _run(self, args, check=True, timeout=60):
        cmd = [os.path.join(self.bin, args[0])] + args[1:]
        if self.user:
            cmd = ["runuser", "-u", self.user, "--"] + cmd
        return subprocess.run(cmd, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, check=check,
                              timeout=timeout, cwd=self.dir)

    def init(self):
        self._run(["initdb", "-D", self.data, "-U", "coffer",
                   "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8",
                   "--no-sync"])
        with open(os.path.join(self.data, "postgresql.conf"), "a") as f:
            f.write("fsync = on\nsynchronous_commit = on\n"
                    "max_connections = 100\nshared_buffers = 32MB\n")
        self.start()
        self.psql("postgres", "CREATE DATABASE coffer")
        return self

    def start(self):
        self._run(["pg_ctl", "-D", self.data, "-l", self.log, "-w",
                   "-t", "30", "-o",
                   "-p %d -k %s -c listen_addresses=127.0.0.1"
                   % (self.port, self.dir), "start"])

    def stop(self, mode="fast"):
        self._run(["pg_ctl", "-D", self.data, "-m", mode, "-w", "stop"],
                  check=False)

    def running(self):
        return self._run(["pg_ctl", "-D", self.data, "status"],
                         check=False).returncode == 0

    def psql(self, db, sql):
        """Runs sql; returns the output rows as lists of strings."""
        out = self._run(["psql", "-X", "-q", "-A", "-t", "-F", "\t",
                         "-v", "ON_ERROR_STOP=1", "-h", "127.0.0.1",
                         "-p", str(self.port), "-U", "coffer", "-d", db,
                         "-c", sql]).stdout.decode()
        return [line.split("\t") for line in out.splitlines() if line]

    def cleanup(self):
        if os.path.exists(os.path.join(self.data, "postmaster.pid")):
            self.stop("immediate")
        shutil.rmtree(self.dir, ignore_errors=True)

"""Start the real coffer binary for integration tests and talk to it.

Every test gets its own server on a free loopback port, with its own
temporary folder for the SQLite file, and the server is stopped when the
test ends. COFFER_BIN names the binary (ctest sets it).
"""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import unittest
import warnings
import urllib.error
import urllib.request

BIN = os.environ.get("COFFER_BIN", os.path.join(
    os.path.dirname(__file__), "..", "..", "build", "coffer"))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One coffer server process; restartable on the same data."""

    def __init__(self, dev=False, config_extra="", root_token="root",
                 storage=None, tls=None, listener_extra="", audit_api=True):
        self.dir = tempfile.mkdtemp(prefix="coffer-it-")
        self.port = free_port()
        self.dev = dev
        self.root_token = root_token if dev else None
        self.proc = None
        self.log_path = os.path.join(self.dir, "server.log")
        self.db_path = os.path.join(self.dir, "coffer.db")
        scheme = "https" if tls else "http"
        self.addr = "%s://127.0.0.1:%d" % (scheme, self.port)
        self.config_path = os.path.join(self.dir, "coffer.hcl")
        if storage is None:
            storage = 'storage "sqlite" { path = "%s" }' % self.db_path
        if tls:
            listener = ('listener "tcp" { address = "127.0.0.1:%d"\n'
                        '  tls_cert_file = "%s"\n  tls_key_file = "%s"\n'
                        '%s }' % (self.port, tls[0], tls[1],
                                  listener_extra))
        else:
            listener = ('listener "tcp" { address = "127.0.0.1:%d"\n'
                        '  tls_disable = true\n%s }'
                        % (self.port, listener_extra))
        # Most tests enable audit devices through the API, which a
        # configured server refuses unless told (test_audit_config checks
        # that default): audit_api=False leaves the line out.
        if audit_api and "unsafe_allow_api_audit_creation" not in config_extra:
            config_extra = ("unsafe_allow_api_audit_creation = true\n"
                            + config_extra)
        with open(self.config_path, "w") as f:
            f.write("%s\n%s\ndisable_mlock = true\n%s\n"
                    % (storage, listener, config_extra))
        self.ca = tls[0] if tls else None

    def start(self, wait=True):
        if self.dev:
            args = [BIN, "server", "-dev",
                    "-dev-root-token-id=%s" % self.root_token,
                    "-dev-listen-address=127.0.0.1:%d" % self.port]
        else:
            args = [BIN, "server", "-config=%s" % self.config_path]
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen(args, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        if wait:
            self.wait_ready()
        return self

    def wait_ready(self, timeout=20):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %d:\n%s" % (
                    self.proc.returncode, self.read_log()))
            try:
                with socket.create_connection(("127.0.0.1", self.port),
                                              timeout=0.5):
                    return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("server did not start:\n" + self.read_log())

    def read_log(self):
        with open(self.log_path, "rb") as f:
            return f.read().decode("utf-8", "replace")

    def stop(self, sig=signal.SIGTERM):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        code = self.proc.returncode
        self.proc = None
        return code

    def kill(self):
        return self.stop(signal.SIGKILL)

    def restart(self):
        self.stop()
        return self.start()

    def alive(self):
        return self.proc is not None and self.proc.poll() is None

    def cleanup(self):
        code = self.stop()
        shutil.rmtree(self.dir, ignore_errors=True)
        return code

    def client(self, token=None):
        import hvac
        return hvac.Client(url=self.addr, token=token or self.root_token,
                           verify=self.ca if self.ca else True)

    def request(self, method, path, body=None, token=None, headers=None,
                raw=None):
        """A plain HTTP request; returns (status, parsed JSON or None)."""
        data = raw if raw is not None else (
            json.dumps(body).encode() if body is not None else None)
        req = urllib.request.Request(self.addr + path, data=data,
                                     method=method)
        tok = self.root_token if token is None else token
        if tok:
            req.add_header("X-Vault-Token", tok)
        for k, v in (headers or {}).items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=30) as r:
                text = r.read()
                status = r.status
        except urllib.error.HTTPError as e:
            text = e.read()
            status = e.code
        return status, (json.loads(text) if text else None)


class ServerTest(unittest.TestCase):
    """Stops every server a test started, and shows its log on failure."""

    def setUp(self):
        self.servers = []

    def server(self, **kw):
        s = Server(**kw)
        self.servers.append(s)
        # tearDown does not run when setUp fails; cleanups always do.
        # Stopping twice is harmless (stop() of a stopped server is a
        # no-op), so tearDown's checks still see the exit status.
        self.addCleanup(s.stop)
        return s

    def tearDown(self):
        res = getattr(self._outcome, "result", None)
        failed = res is not None and any(
            t is self for t, _ in res.errors + res.failures)
        bad = []
        for s in self.servers:
            code = s.stop()
            # A sanitizer report makes the server exit non-zero on stop.
            if code not in (None, 0, -signal.SIGKILL):
                bad.append("server exited with %s:\n%s"
                           % (code, s.read_log()))
            elif failed:
                sys.stderr.write("--- server log ---\n" + s.read_log())
            shutil.rmtree(s.dir, ignore_errors=True)
        if bad and not failed:
            self.fail("\n".join(bad))


def main():
    # hvac keeps sessions open; their sockets close at exit anyway.
    warnings.simplefilter("ignore", ResourceWarning)
    unittest.main(verbosity=2)

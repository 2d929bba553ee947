"""coffer agent against a real server: AppRole auto-auth from files, token
sinks, templates re-rendered when a secret changes, a restart after
SIGKILL, exec mode, the caching proxy, leased database credentials, and
bad input (a template that does not parse, a missing secret-id file, a
missing secret, the server down, an unknown configuration key)."""

import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import tempfile
import time

from harness import BIN, ServerTest, free_port, main

PASSWORD = "pw-5e1b7c9d3a"

TEMPLATE = ('password={{ with secret "secret/data/app" }}'
            '{{ .Data.data.password }}{{ end }}\n')

# The exec child: appends "pid value" to a file when it starts, exits
# with 7 once a "quit" file appears, and exits 0 on SIGTERM.
CHILD = r'''
import os, signal, sys, time
out, quit = sys.argv[1], sys.argv[2]
signal.signal(signal.SIGTERM, lambda s, f: sys.exit(0))
with open(out, "a") as f:
    f.write("%d %s\n" % (os.getpid(), os.environ.get("APP_PASSWORD")))
while not os.path.exists(quit):
    time.sleep(0.05)
sys.exit(7)
'''


def wait_for(cond, timeout=20, step=0.1):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(step)
    return cond()


def read(path):
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


class Agent:
    """One `coffer agent` process, restartable on the same configuration."""

    def __init__(self, tmp, config):
        self.tmp = tmp
        self.config = os.path.join(tmp, "agent.hcl")
        self.log_path = os.path.join(tmp, "agent.log")
        with open(self.config, "w") as f:
            f.write(config)
        self.proc = None

    def start(self):
        self.log = open(self.log_path, "ab")
        self.proc = subprocess.Popen([BIN, "agent", "-config=" + self.config],
                                     cwd=self.tmp, stdout=self.log,
                                     stderr=subprocess.STDOUT)
        return self

    def read_log(self):
        return read(self.log_path) or ""

    def wait_log(self, text, timeout=20):
        return wait_for(lambda: text in self.read_log(), timeout)

    def stop(self, sig=signal.SIGTERM, timeout=30):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
        try:
            code = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            code = self.proc.wait()
        self.log.close()
        self.proc = None
        return code


class AgentTest(ServerTest):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="coffer-agent-")
        self.agents = []

    def tearDown(self):
        failed = self._outcome.result is not None and any(
            t is self for t, _ in self._outcome.result.errors +
            self._outcome.result.failures)
        for a in self.agents:
            code = a.stop()
            if failed:
                sys.stderr.write("--- agent log ---\n" + a.read_log())
        shutil.rmtree(self.tmp, ignore_errors=True)
        super().tearDown()

    def path(self, *parts):
        return os.path.join(self.tmp, *parts)

    def agent(self, config):
        a = Agent(self.tmp, config)
        self.agents.append(a)
        return a

    def finish(self, a):
        """Stops a with SIGTERM: a clean exit (a sanitizer would say)."""
        self.agents.remove(a)
        code = a.stop()
        self.assertEqual(code, 0, a.read_log())
        return a.read_log()

    def dev(self):
        self.srv = self.server(dev=True).start()
        self.put(PASSWORD)
        return self.srv

    def put(self, password, path="app"):
        st, _ = self.srv.request("PUT", "/v1/secret/data/" + path,
                                 {"data": {"password": password}})
        self.assertEqual(st, 200)

    def approle(self, policy=None, ttl="60s"):
        """An AppRole "app" with its role-id and a secret-id in files."""
        r = self.srv.request
        self.assertEqual(r("POST", "/v1/sys/auth/approle",
                           {"type": "approle"})[0], 204)
        rules = policy or ('path "secret/*" { capabilities = ["read", '
                           '"list"] }')
        self.assertEqual(r("PUT", "/v1/sys/policies/acl/app",
                           {"policy": rules})[0], 204)
        self.assertEqual(r("POST", "/v1/auth/approle/role/app",
                           {"token_policies": "app",
                            "token_ttl": ttl})[0], 204)
        _, body = r("GET", "/v1/auth/approle/role/app/role-id")
        with open(self.path("role-id"), "w") as f:
            f.write(body["data"]["role_id"] + "\n")
        self.new_secret_id()

    def new_secret_id(self):
        _, body = self.srv.request(
            "POST", "/v1/auth/approle/role/app/secret-id", {})
        self.secret_id = body["data"]["secret_id"]
        with open(self.path("secret-id"), "w") as f:
            f.write(self.secret_id)

    def config(self, remove=True, extra="", sinks=True, interval="1s"):
        sink = ('  sink "file" { config = { path = "%s", mode = "0600" } }\n'
                '  sink "file" {\n'
                '    config = { path = "%s" }\n'
                '    wrap_ttl = "5m"\n'
                '  }\n' % (self.path("token"), self.path("wrapped"))
                if sinks else "")
        return ('vault { address = "%s" }\n'
                'auto_auth {\n'
                '  method "approle" {\n'
                '    config = {\n'
                '      role_id_file_path = "%s"\n'
                '      secret_id_file_path = "%s"\n'
                '      remove_secret_id_file_after_reading = %s\n'
                '    }\n'
                '  }\n%s'
                '}\n'
                'template_config { static_secret_render_interval = "%s" }\n'
                '%s' % (self.srv.addr, self.path("role-id"),
                        self.path("secret-id"),
                        "true" if remove else "false", sink, interval,
                        extra))

    def file_template(self, dest, command=None, perms="0640", text=None):
        src = self.path("app.tpl")
        with open(src, "w") as f:
            f.write(text or TEMPLATE)
        cmd = '  command = "%s"\n' % command if command else ""
        return ('template {\n  source = "%s"\n  destination = "%s"\n'
                '  perms = "%s"\n%s}\n' % (src, dest, perms, cmd))


class AutoAuthAndTemplates(AgentTest):
    def test_approle_sinks_template_and_updates(self):
        self.dev()
        self.approle()
        dest = self.path("out", "app.conf")
        marker = self.path("marker")
        a = self.agent(self.config(extra=self.file_template(
            dest, command="echo ran >> %s" % marker))).start()

        self.assertTrue(wait_for(lambda: read(dest) ==
                                 "password=%s\n" % PASSWORD), a.read_log())
        self.assertEqual(stat.S_IMODE(os.stat(dest).st_mode), 0o640)
        self.assertTrue(wait_for(lambda: read(marker) == "ran\n"))

        # The token sink: 0600, and a working token.
        token = read(self.path("token"))
        self.assertEqual(stat.S_IMODE(os.stat(self.path("token")).st_mode),
                         0o600)
        st, body = self.srv.request("GET", "/v1/secret/data/app",
                                    token=token)
        self.assertEqual(st, 200)
        self.assertEqual(body["data"]["data"]["password"], PASSWORD)
        st, body = self.srv.request("GET", "/v1/auth/token/lookup-self",
                                    token=token)
        self.assertEqual(body["data"]["policies"], ["app", "default"])

        # The wrapped sink unwraps, once, to the same token.
        info = json.loads(read(self.path("wrapped")))
        self.assertEqual(info["creation_path"], "sys/wrapping/wrap")
        st, body = self.srv.request("POST", "/v1/sys/wrapping/unwrap",
                                    token=info["token"])
        self.assertEqual(st, 200)
        self.assertEqual(body["data"]["token"], token)

        # The secret-id file was consumed.
        self.assertFalse(os.path.exists(self.path("secret-id")))

        # A new version is rendered and the command runs again.
        self.put("second-" + PASSWORD)
        self.assertTrue(wait_for(lambda: read(dest) ==
                                 "password=second-%s\n" % PASSWORD, 10))
        self.assertTrue(wait_for(lambda: read(marker) == "ran\nran\n"))

        # Unchanged secrets: the file is not written again.
        before = os.stat(dest)
        time.sleep(2.5)
        after = os.stat(dest)
        self.assertEqual((before.st_ino, before.st_mtime_ns),
                         (after.st_ino, after.st_mtime_ns))
        self.assertEqual(read(marker), "ran\nran\n")

        log = self.finish(a)
        for secret in (PASSWORD, token, self.secret_id, info["token"]):
            self.assertNotIn(secret, log)
        self.assertIn("auth: logged in with approle", log)

    def test_delimiters_and_missing_keys(self):
        self.dev()
        self.approle()
        helm, strict = self.path("helm.yaml"), self.path("strict.conf")
        with open(self.path("helm.tpl"), "w") as f:
            f.write('image: {{ .Values.image }}\n'
                    'password: [[ with secret "secret/data/app" ]]'
                    '[[ .Data.data.password ]][[ end ]]\n')
        extra = ('template {\n  source = "%s"\n  destination = "%s"\n'
                 '  left_delimiter = "[["\n  right_delimiter = "]]"\n}\n'
                 'template {\n  contents = "{{ with secret \\"secret/data/'
                 'app\\" }}{{ .Data.data.nope }}{{ end }}"\n'
                 '  destination = "%s"\n  error_on_missing_key = true\n}\n'
                 % (self.path("helm.tpl"), helm, strict))
        a = self.agent(self.config(extra=extra, sinks=False)).start()
        self.assertTrue(wait_for(lambda: read(helm) is not None),
                        a.read_log())
        self.assertEqual(read(helm), "image: {{ .Values.image }}\n"
                         "password: %s\n" % PASSWORD)
        self.assertTrue(a.wait_log("template %s: render failed" % strict))
        self.assertIn("reads a key that the secret does not have",
                      a.read_log())
        self.assertFalse(os.path.exists(strict))
        self.finish(a)

    def test_kv2_logical_path_gets_data_inserted(self):
        """secret "secret/app" reads secret/data/app, as Vault Agent's
        templates expect; explicit data/ paths and KV v1 stay as written."""
        self.dev()
        self.assertEqual(self.srv.request(
            "POST", "/v1/sys/mounts/kv1",
            {"type": "kv", "options": {"version": "1"}})[0], 204)
        self.assertEqual(self.srv.request(
            "PUT", "/v1/kv1/app", {"password": "v1-pass"})[0], 204)
        self.approle(policy='path "secret/*" { capabilities = ["read"] }\n'
                     'path "kv1/*" { capabilities = ["read"] }')
        out = self.path("paths.conf")
        text = ('{{ with secret "secret/app" }}a={{ .Data.data.password }}'
                '{{ end }}\n{{ with secret "secret/data/app" }}b='
                '{{ .Data.data.password }}{{ end }}\n'
                '{{ with secret "kv1/app" }}c={{ .Data.password }}'
                '{{ end }}\n')
        a = self.agent(self.config(extra=self.file_template(out, text=text),
                                   sinks=False)).start()
        want = "a=%s\nb=%s\nc=v1-pass\n" % (PASSWORD, PASSWORD)
        self.assertTrue(wait_for(lambda: read(out) == want), a.read_log())
        self.finish(a)

    def test_token_renewed_before_it_expires(self):
        self.dev()
        self.approle(ttl="6s")
        a = self.agent(self.config(extra="")).start()
        self.assertTrue(a.wait_log("auth: renewed token", 15), a.read_log())
        token = read(self.path("token"))
        time.sleep(4)
        # Past its first TTL, the same token still works.
        st, _ = self.srv.request("GET", "/v1/auth/token/lookup-self",
                                 token=token)
        self.assertEqual(st, 200)
        self.finish(a)

    def test_revoked_token_means_a_new_login(self):
        self.dev()
        self.approle()
        dest = self.path("app.conf")
        a = self.agent(self.config(remove=False,
                                   extra=self.file_template(dest))).start()
        self.assertTrue(wait_for(lambda: read(dest) is not None))
        first = read(self.path("token"))
        st, _ = self.srv.request("POST", "/v1/auth/token/revoke",
                                 {"token": first})
        self.assertEqual(st, 204)
        # The next render is refused; the agent checks and logs in again.
        self.assertTrue(wait_for(lambda: read(self.path("token")) not in
                                 (None, first), 15), a.read_log())
        self.put("after-revoke")
        self.assertTrue(wait_for(lambda: read(dest) ==
                                 "password=after-revoke\n", 10))
        self.assertIn("no longer accepts the token", self.finish(a))

    def test_restart_after_sigkill(self):
        self.dev()
        self.approle()
        dest = self.path("app.conf")
        cfg = self.config(remove=False, extra=self.file_template(dest))
        a = self.agent(cfg).start()
        self.assertTrue(wait_for(lambda: read(dest) is not None))
        self.assertEqual(a.stop(signal.SIGKILL), -signal.SIGKILL)
        self.agents.remove(a)
        before = os.stat(dest)

        b = self.agent(cfg).start()
        self.assertTrue(b.wait_log("logged in with approle"))
        # A pass ran (the sink is rewritten) but the file was already right.
        self.assertTrue(wait_for(
            lambda: b.read_log().count("sink: token written") >= 4))
        time.sleep(1.5)
        after = os.stat(dest)
        self.assertEqual((before.st_ino, before.st_mtime_ns),
                         (after.st_ino, after.st_mtime_ns))
        self.put("after-restart")
        self.assertTrue(wait_for(lambda: read(dest) ==
                                 "password=after-restart\n", 10))
        self.finish(b)


class OtherMethods(AgentTest):
    def test_jwt_file_and_exit_after_auth(self):
        from jwtkit import Key, claims
        self.dev()
        k = Key("RS256", "k1")
        r = self.srv.request
        self.assertEqual(r("POST", "/v1/sys/auth/jwt",
                           {"type": "jwt"})[0], 204)
        self.assertLess(r("POST", "/v1/auth/jwt/config",
                          {"jwt_validation_pubkeys": [k.pem()]})[0], 300)
        self.assertEqual(r("PUT", "/v1/sys/policies/acl/app", {
            "policy": 'path "secret/*" { capabilities = ["read"] }'})[0],
            204)
        self.assertLess(r("POST", "/v1/auth/jwt/role/ci", {
            "role_type": "jwt", "user_claim": "sub",
            "bound_audiences": ["coffer"], "token_policies": ["app"]})[0],
            300)
        jwt = k.token(claims())
        with open(self.path("jwt"), "w") as f:
            f.write(jwt + "\n")
        dest = self.path("app.conf")
        cfg = ('vault { address = "%s" }\n'
               'auto_auth {\n'
               '  method "jwt" { config = { path = "%s", role = "ci" } }\n'
               '  sink "file" { config = { path = "%s" } }\n}\n'
               'exit_after_auth = true\n%s'
               % (self.srv.addr, self.path("jwt"), self.path("token"),
                  self.file_template(dest)))
        a = self.agent(cfg).start()
        # Logs in, writes the sink, renders once and exits on its own.
        self.assertEqual(a.proc.wait(timeout=30), 0, a.read_log())
        self.assertEqual(read(dest), "password=%s\n" % PASSWORD)
        st, body = r("GET", "/v1/auth/token/lookup-self",
                     token=read(self.path("token")))
        self.assertEqual(body["data"]["path"], "auth/jwt/login")
        # Vault's default for a JWT file: consumed once read.
        self.assertFalse(os.path.exists(self.path("jwt")))
        self.assertIn("logged in with jwt", a.read_log())
        self.assertNotIn(jwt, a.read_log())


class ExecMode(AgentTest):
    def test_child_env_restart_and_exit_status(self):
        self.dev()
        self.approle()
        child = self.path("child.py")
        with open(child, "w") as f:
            f.write(CHILD)
        seen, quit = self.path("seen"), self.path("quit")
        extra = ('exec {\n  command = ["%s", "%s", "%s", "%s"]\n'
                 '  restart_stop_signal = "SIGTERM"\n}\n'
                 'env_template "APP_PASSWORD" {\n'
                 '  contents = "{{ with secret \\"secret/data/app\\" }}'
                 '{{ .Data.data.password }}{{ end }}"\n}\n'
                 % (sys.executable, child, seen, quit))
        a = self.agent(self.config(extra=extra, sinks=False)).start()

        def lines():
            return [l.split(" ", 1) for l in (read(seen) or "").splitlines()]

        self.assertTrue(wait_for(lambda: len(lines()) == 1), a.read_log())
        self.assertEqual(lines()[0][1], PASSWORD)

        self.put("rotated-" + PASSWORD)
        self.assertTrue(wait_for(lambda: len(lines()) == 2, 15),
                        a.read_log())
        self.assertEqual(lines()[1][1], "rotated-" + PASSWORD)
        self.assertNotEqual(lines()[0][0], lines()[1][0])
        first_pid = int(lines()[0][0])
        self.assertFalse(os.path.exists("/proc/%d" % first_pid) and
                         "python" in (read("/proc/%d/cmdline" % first_pid)
                                      or ""))

        # The child's own exit becomes the agent's.
        with open(quit, "w"):
            pass
        self.assertEqual(a.proc.wait(timeout=20), 7)
        self.assertNotIn(PASSWORD, a.read_log())

    def test_sigterm_reaches_the_child(self):
        self.dev()
        self.approle()
        child = self.path("child.py")
        with open(child, "w") as f:
            f.write(CHILD)
        seen = self.path("seen")
        extra = ('exec { command = ["%s", "%s", "%s", "%s"] }\n'
                 'env_template "APP_PASSWORD" { contents = "x" }\n'
                 % (sys.executable, child, seen, self.path("quit")))
        a = self.agent(self.config(extra=extra, sinks=False)).start()
        self.assertTrue(wait_for(lambda: read(seen) is not None))
        # The child exits 0 on SIGTERM, so the agent does too.
        self.finish(a)
        self.assertIn("received signal %d" % signal.SIGTERM, a.read_log())


class CacheProxy(AgentTest):
    def proxy(self):
        self.listen = free_port()
        policy = ('path "secret/*" { capabilities = ["read", "list", '
                  '"update"] }\n'
                  'path "auth/token/create" { capabilities = ["update"] }\n'
                  'path "database/creds/*" { capabilities = ["read"] }\n')
        self.approle(policy=policy)
        extra = ('listener "tcp" {\n  address = "127.0.0.1:%d"\n'
                 '  tls_disable = true\n}\ncache { }\n'
                 'api_proxy { use_auto_auth_token = true }\n' % self.listen)
        a = self.agent(self.config(extra=extra)).start()
        self.assertTrue(a.wait_log("logged in with approle"), a.read_log())
        self.via = "http://127.0.0.1:%d" % self.listen
        return a

    def ask(self, method, path, body=None, token=""):
        saved = self.srv.addr
        self.srv.addr = self.via
        try:
            return self.srv.request(method, path, body, token=token)
        finally:
            self.srv.addr = saved

    def test_auth_answers_cached_kv_not(self):
        self.dev()
        a = self.proxy()
        one = self.ask("POST", "/v1/auth/token/create", {"ttl": "10m"})
        two = self.ask("POST", "/v1/auth/token/create", {"ttl": "10m"})
        self.assertEqual(one[0], 200)
        self.assertEqual(one[1]["auth"]["client_token"],
                         two[1]["auth"]["client_token"])
        # The agent's token made it: its policies, not root's.
        self.assertEqual(one[1]["auth"]["policies"], ["app", "default"])
        other = self.ask("POST", "/v1/auth/token/create", {"ttl": "11m"})
        self.assertNotEqual(other[1]["auth"]["client_token"],
                            one[1]["auth"]["client_token"])

        # A KV read is never cached: an update shows at once.
        st, body = self.ask("GET", "/v1/secret/data/app")
        self.assertEqual(body["data"]["data"]["password"], PASSWORD)
        self.put("new-" + PASSWORD)
        st, body = self.ask("GET", "/v1/secret/data/app")
        self.assertEqual(body["data"]["data"]["password"], "new-" + PASSWORD)

        # A client's own token is sent as it is; errors pass through.
        st, body = self.ask("GET", "/v1/sys/mounts", token="root")
        self.assertEqual(st, 200)
        st, body = self.ask("GET", "/v1/sys/mounts")
        self.assertEqual(st, 403)
        st, body = self.ask("GET", "/v1/secret/data/nothing-here")
        self.assertEqual(st, 404)
        st, body = self.ask("LIST", "/v1/secret/metadata/")
        self.assertEqual(body["data"]["keys"], ["app"])
        self.finish(a)

    def test_server_unreachable_is_502(self):
        self.dev()
        a = self.proxy()
        self.srv.stop()
        st, body = self.ask("GET", "/v1/secret/data/app")
        self.assertEqual(st, 502)
        self.assertEqual(body["errors"],
                         ["the agent cannot reach the server"])
        self.finish(a)


class Database(AgentTest):
    """Leased credentials from the database engine on a real PostgreSQL."""

    @classmethod
    def setUpClass(cls):
        from dbserver import Postgres
        cls.pg = Postgres()
        cls.pg.start()

    @classmethod
    def tearDownClass(cls):
        cls.pg.cleanup()

    def database(self, ttl, max_ttl):
        from dbserver import ADMIN, ADMIN_PASSWORD
        r = self.srv.request
        self.assertEqual(r("POST", "/v1/sys/mounts/database",
                           {"type": "database"})[0], 204)
        st, body = r("POST", "/v1/database/config/pg", {
            "plugin_name": "postgresql-database-plugin",
            "allowed_roles": ["*"], "connection_url": self.pg.url(),
            "username": ADMIN, "password": ADMIN_PASSWORD})
        self.assertLess(st, 300, body)
        st, body = r("POST", "/v1/database/roles/ro", {
            "db_name": "pg", "default_ttl": ttl, "max_ttl": max_ttl,
            "creation_statements": [
                "CREATE ROLE \"{{name}}\" WITH LOGIN PASSWORD "
                "'{{password}}' VALID UNTIL '{{expiration}}';"]})
        self.assertLess(st, 300, body)

    def test_proxy_shares_one_lease(self):
        self.dev()
        self.database("1h", "2h")
        a = CacheProxy.proxy(self)
        one = CacheProxy.ask(self, "GET", "/v1/database/creds/ro")
        two = CacheProxy.ask(self, "GET", "/v1/database/creds/ro")
        self.assertEqual(one[0], 200, one)
        self.assertTrue(one[1]["lease_id"].startswith("database/creds/ro/"))
        self.assertEqual(one[1]["lease_id"], two[1]["lease_id"])
        self.assertEqual(one[1]["data"], two[1]["data"])
        # Revoked through the proxy: the next read gets a new lease.
        st, _ = CacheProxy.ask(self, "PUT", "/v1/sys/leases/revoke",
                               {"lease_id": one[1]["lease_id"]},
                               token="root")
        self.assertEqual(st, 204)
        three = CacheProxy.ask(self, "GET", "/v1/database/creds/ro")
        self.assertNotEqual(three[1]["lease_id"], one[1]["lease_id"])
        self.finish(a)

    def test_template_lease_renewed_then_refetched(self):
        self.dev()
        # Renewal at 4 s gets only 5 s (max TTL 9 s): the agent then
        # fetches new credentials and the file changes.
        self.database("6s", "9s")
        policy = 'path "database/creds/*" { capabilities = ["read"] }'
        self.approle(policy=policy)
        dest = self.path("db.conf")
        text = ('{{ with secret "database/creds/ro" }}'
                'user={{ .Data.username }}{{ end }}\n')
        a = self.agent(self.config(
            extra=self.file_template(dest, text=text),
            interval="1h")).start()
        self.assertTrue(wait_for(lambda: (read(dest) or "").startswith(
            "user=v-"), 15), a.read_log())
        first = read(dest)
        self.assertTrue(wait_for(lambda: read(dest) != first, 20),
                        a.read_log())
        self.assertTrue(read(dest).startswith("user=v-"))
        log = self.finish(a)
        self.assertIn("template: renewed lease database/creds/ro/", log)
        self.assertIn("fetching new credentials", log)


class BadInput(AgentTest):
    def run_agent(self, config, timeout=30):
        a = Agent(self.tmp, config)
        p = subprocess.run([BIN, "agent", "-config=" + a.config],
                           cwd=self.tmp, capture_output=True, text=True,
                           timeout=timeout)
        return p.returncode, p.stderr

    def test_template_that_does_not_parse(self):
        self.dev()
        self.approle()
        dest = self.path("never.conf")
        code, err = self.run_agent(self.config(extra=self.file_template(
            dest, text="line one\nline two\n{{ end }}\n")))
        self.assertEqual(code, 1, err)
        self.assertIn(self.path("app.tpl") + ":3:", err)
        # Nothing was written: no file, no sink, no login.
        self.assertFalse(os.path.exists(dest))
        self.assertFalse(os.path.exists(self.path("token")))
        self.assertTrue(os.path.exists(self.path("secret-id")))

    def test_unknown_config_key(self):
        self.dev()
        self.approle()
        cfg = self.config(extra='listener "tcp" {\n'
                                '  address = "127.0.0.1:1"\n'
                                '  tls_disabled = true\n}\n')
        line = cfg.splitlines().index("  tls_disabled = true") + 1
        code, err = self.run_agent(cfg)
        self.assertEqual(code, 1, err)
        self.assertIn('%s:%d: unknown key "tls_disabled"'
                      % (self.path("agent.hcl"), line), err)
        code, err = self.run_agent("")
        self.assertEqual(code, 1)
        self.assertIn("nothing to do", err)
        p = subprocess.run([BIN, "agent"], capture_output=True, text=True)
        self.assertEqual(p.returncode, 2)
        self.assertIn("Missing -config=FILE", p.stderr)

    def test_missing_secret_id_file(self):
        self.dev()
        self.approle()
        os.rename(self.path("secret-id"), self.path("later"))
        dest = self.path("app.conf")
        a = self.agent(self.config(extra=self.file_template(dest))).start()
        self.assertTrue(a.wait_log(
            "auth: login failed, retrying in 1s: secret_id_file_path: "
            "cannot read %s: No such file or directory"
            % self.path("secret-id")), a.read_log())
        self.assertTrue(a.wait_log("retrying in 2s"))
        self.assertFalse(os.path.exists(dest))
        # Once the file is there, the next retry logs in.
        os.rename(self.path("later"), self.path("secret-id"))
        self.assertTrue(wait_for(lambda: read(dest) is not None, 20),
                        a.read_log())
        self.finish(a)

    def test_missing_secret_keeps_the_previous_file(self):
        self.dev()
        self.approle()
        dest = self.path("app.conf")
        missing = self.path("missing.conf")
        extra = self.file_template(dest) + (
            'template {\n  contents = "{{ with secret \\"secret/data/nope'
            '\\" }}{{ .Data.data.x }}{{ end }}"\n  destination = "%s"\n}\n'
            % missing)
        a = self.agent(self.config(extra=extra)).start()
        self.assertTrue(wait_for(lambda: read(dest) is not None))
        self.assertTrue(a.wait_log("template %s: render failed, keeping the "
                                   "previous file: " % missing))
        self.assertIn("secret/data/nope: no secret at this path",
                      a.read_log())
        self.assertFalse(os.path.exists(missing))
        # The secret goes away: the file keeps what it had.
        st, _ = self.srv.request("DELETE", "/v1/secret/metadata/app")
        self.assertEqual(st, 204)
        self.assertTrue(a.wait_log("template %s: render failed" % dest))
        self.assertEqual(read(dest), "password=%s\n" % PASSWORD)
        self.finish(a)

    def test_server_down_then_up(self):
        # token_file: the dev server's root token is known beforehand.
        port = free_port()
        with open(self.path("root-token"), "w") as f:
            f.write("root\n")
        dest = self.path("app.conf")
        with open(self.path("app.tpl"), "w") as f:
            f.write(TEMPLATE)
        cfg = ('vault { address = "http://127.0.0.1:%d" }\n'
               'auto_auth { method "token_file" {\n'
               '  config = { token_file_path = "%s" } } }\n'
               'template { source = "%s"\n  destination = "%s" }\n'
               'template_config { static_secret_render_interval = "1s" }\n'
               % (port, self.path("root-token"), self.path("app.tpl"), dest))
        a = self.agent(cfg).start()
        self.assertTrue(a.wait_log("auth: login failed, retrying in 4s"),
                        a.read_log())
        for wait in ("1s", "2s"):
            self.assertIn("retrying in %s: GET auth/token/lookup-self"
                          % wait, a.read_log())
        srv = self.server(dev=True)
        srv.port = port
        srv.addr = "http://127.0.0.1:%d" % port
        self.srv = srv.start()
        self.put(PASSWORD)
        self.assertTrue(a.wait_log("logged in with token_file", 20))
        self.assertTrue(wait_for(lambda: read(dest) ==
                                 "password=%s\n" % PASSWORD, 20),
                        a.read_log())
        self.finish(a)


if __name__ == "__main__":
    main()

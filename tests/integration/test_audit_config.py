"""Audit devices declared in the server's configuration file (OpenBao's
audit "<type>" "<path>" { ... } blocks): enabled at unseal, keeping their
salt across restarts, out of the API's reach, removed with their block;
and unsafe_allow_api_audit_creation = false, which keeps a root token from
enabling, disabling or redirecting any device."""

import json
import os
import shutil
import subprocess
import tempfile

from harness import BIN, ServerTest, main

CANARY = "config-CANARY-value-3b9d"


def records(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return [json.loads(line) for line in f.read().splitlines()]


def audit_block(kind, path, **options):
    opts = "\n".join('    %s = "%s"' % kv for kv in options.items())
    return ('audit "%s" "%s" {\n  description = "from the file"\n'
            '  options = {\n%s\n  }\n}\n' % (kind, path, opts))


class AuditConfig(ServerTest):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="coffer-audit-config-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.log = os.path.join(self.tmp, "trail.log")

    def start(self, extra):
        srv = self.server(config_extra=extra).start()
        init = srv.client().sys.initialize(secret_shares=1,
                                           secret_threshold=1)
        srv.root_token = init["root_token"]
        srv.key = init["keys"][0]
        srv.client().sys.submit_unseal_key(srv.key)
        return srv

    def rewrite(self, srv, extra):
        """Replaces the configuration's extra lines and restarts."""
        with open(srv.config_path) as f:
            text = f.read()
        head = text.split("disable_mlock = true\n")[0]
        with open(srv.config_path, "w") as f:
            f.write(head + "disable_mlock = true\n" + extra + "\n")
        srv.restart()
        srv.client().sys.submit_unseal_key(srv.key)

    def audit_hash(self, srv, path, value):
        status, body = srv.request("PUT", "/v1/sys/audit-hash/" + path,
                                   {"input": value})
        self.assertEqual(status, 200, body)
        return body["hash"]

    def test_api_creation_is_off_by_default(self):
        """A configured server that does not opt in refuses sys/audit
        enable and disable, even from a root token (B4 #62); dev mode,
        used by most tests, allows it."""
        srv = self.server(audit_api=False).start()
        init = srv.client().sys.initialize(secret_shares=1,
                                           secret_threshold=1)
        srv.root_token = init["root_token"]
        srv.client().sys.submit_unseal_key(init["keys"][0])
        status, resp = srv.request("PUT", "/v1/sys/audit/file", {
            "type": "file", "options": {"file_path": self.log}})
        self.assertEqual(status, 400, resp)
        self.assertIn("unsafe_allow_api_audit_creation", resp["errors"][0])
        self.assertFalse(os.path.exists(self.log))

    def test_declared_device_records_and_is_locked(self):
        srv = self.start(audit_block("file", "trail", file_path=self.log) +
                         "unsafe_allow_api_audit_creation = false\n")
        c = srv.client()
        c.sys.enable_secrets_engine("kv", path="kv")
        c.write("kv/app", password=CANARY)
        self.assertEqual(c.read("kv/app")["data"]["password"], CANARY)

        recs = records(self.log)
        ops = [(r["type"], r["request"]["operation"]) for r in recs
               if r["request"]["path"] == "kv/app"]
        self.assertEqual(ops, [("request", "update"), ("response", "update"),
                               ("request", "read"), ("response", "read")])
        raw = open(self.log, "rb").read()
        self.assertNotIn(CANARY.encode(), raw)
        self.assertIn(self.audit_hash(srv, "trail", CANARY).encode(), raw)
        listed = c.sys.list_enabled_audit_devices()["data"]
        self.assertEqual(listed["trail/"]["type"], "file")
        self.assertEqual(listed["trail/"]["description"], "from the file")
        self.assertEqual(listed["trail/"]["options"]["file_path"], self.log)

        # A root token can neither add, nor remove, nor replace a device.
        other = os.path.join(self.tmp, "other.log")
        for method, path, body in (
                ("PUT", "trail", {"type": "file",
                                  "options": {"file_path": other}}),
                ("PUT", "other", {"type": "file",
                                  "options": {"file_path": other}}),
                ("DELETE", "trail", None),
                ("DELETE", "nosuch", None)):
            status, resp = srv.request(method, "/v1/sys/audit/" + path, body)
            self.assertEqual(status, 400, (method, path, resp))
            self.assertIn("unsafe_allow_api_audit_creation",
                          resp["errors"][0])
        self.assertEqual(list(c.sys.list_enabled_audit_devices()["data"]),
                         ["trail/"])
        self.assertFalse(os.path.exists(other))
        # The refused attempts are on the trail too.
        tried = [r for r in records(self.log)
                 if r["request"]["path"] == "sys/audit/other"]
        self.assertEqual([r["type"] for r in tried], ["request", "response"])
        self.assertIn("declare them in the configuration file",
                      tried[1]["error"])

    def test_salt_survives_restart_and_seal(self):
        srv = self.start(audit_block("file", "trail", file_path=self.log))
        before = self.audit_hash(srv, "trail", CANARY)
        srv.restart()
        srv.client().sys.submit_unseal_key(srv.key)
        self.assertEqual(self.audit_hash(srv, "trail", CANARY), before)
        srv.client().sys.seal()
        srv.client().sys.submit_unseal_key(srv.key)
        self.assertEqual(self.audit_hash(srv, "trail", CANARY), before)
        # A changed option keeps the salt and takes effect.
        moved = os.path.join(self.tmp, "moved.log")
        self.rewrite(srv, audit_block("file", "trail", file_path=moved))
        self.assertEqual(self.audit_hash(srv, "trail", CANARY), before)
        srv.client().sys.list_mounted_secrets_engines()
        self.assertIn("sys/mounts",
                      {r["request"]["path"] for r in records(moved)})
        # The salt is behind the barrier, not in the file or the database.
        with open(srv.db_path, "rb") as f:
            self.assertNotIn(b'"salt"', f.read())

    def test_api_devices_beside_declared_ones(self):
        srv = self.start(audit_block("file", "trail", file_path=self.log))
        api_log = os.path.join(self.tmp, "api.log")
        self.assertEqual(srv.request("PUT", "/v1/sys/audit/api", {
            "type": "file", "options": {"file_path": api_log}})[0], 204)
        status, body = srv.request("DELETE", "/v1/sys/audit/trail")
        self.assertEqual(status, 400)
        self.assertIn("configuration file", body["errors"][0])
        status, body = srv.request("PUT", "/v1/sys/audit/trail", {
            "type": "file", "options": {"file_path": api_log}})
        self.assertEqual(status, 400)
        self.assertIn("path already in use", body["errors"][0])

        # The block goes: so does its device; the API's stays.
        api_hash = self.audit_hash(srv, "api", CANARY)
        self.rewrite(srv, "")
        self.assertEqual(
            list(srv.client().sys.list_enabled_audit_devices()["data"]),
            ["api/"])
        # Declared at the API device's path: taken over, salt kept.
        self.rewrite(srv, audit_block("file", "api", file_path=self.log))
        self.assertEqual(self.audit_hash(srv, "api", CANARY), api_hash)
        self.assertEqual(srv.request("DELETE", "/v1/sys/audit/api")[0], 400)
        self.assertIn("takes it over",
                      srv.read_log())

    def test_declared_filter_and_fallback(self):
        kv_log = os.path.join(self.tmp, "kv.log")
        srv = self.start(
            audit_block("file", "kv", file_path=kv_log,
                        filter='mount_type == \\"kv\\"') +
            audit_block("file", "rest", file_path=self.log,
                        fallback="true"))
        c = srv.client()
        c.sys.enable_secrets_engine("kv", path="kv")
        c.write("kv/x", v=CANARY)
        self.assertEqual({r["request"]["path"] for r in records(kv_log)},
                         {"kv/x"})
        self.assertNotIn("kv/x",
                         {r["request"]["path"] for r in records(self.log)})

    def check_refused(self, extra, why):
        cfg = os.path.join(self.tmp, "bad.hcl")
        with open(cfg, "w") as f:
            f.write('storage "inmem" {}\nlistener "tcp" {\n'
                    '  address = "127.0.0.1:0"\n  tls_disable = true\n}\n'
                    "disable_mlock = true\n" + extra)
        run = subprocess.run([BIN, "server", "-config=" + cfg],
                             capture_output=True, timeout=30)
        self.assertNotEqual(run.returncode, 0, extra)
        err = run.stderr.decode()
        self.assertIn(why, err, extra)
        self.assertIn(cfg, err)

    def test_bad_declarations_stop_the_server(self):
        log = self.log
        self.check_refused(audit_block("nosuch", "x", file_path=log),
                           'unknown audit device type "nosuch"')
        self.check_refused(audit_block("file", "x", file_path=log,
                                       colour="red"),
                           'unknown option "colour"')
        self.check_refused(audit_block("file", "x", file_path="rel.log"),
                           "absolute")
        self.check_refused(audit_block("file", "x", file_path=log,
                                       mode="0755"), "execute")
        self.check_refused(audit_block("file", "x", file_path=log,
                                       filter="nosuch == 1"),
                           'unknown field "nosuch"')
        self.check_refused(audit_block("file", "x", file_path=log) +
                           audit_block("file", "x/", file_path=log),
                           "declared twice")
        self.check_refused(audit_block("file", "a", file_path=log,
                                       fallback="true") +
                           audit_block("file", "b", file_path=log,
                                       fallback="true"),
                           "only one audit device can be the fallback")
        self.check_refused('audit "file" { options = { file_path = "%s" } }'
                           % log, "label")
        self.check_refused('audit "file" "x" { colour = "red" }',
                           'unknown key "colour"')
        self.check_refused('audit "file" "x" { options = { a = [1] } }',
                           "must be a string, number or bool")
        self.check_refused("unsafe_allow_api_audit_creation = \"perhaps\"",
                           "must be true or false")
        self.assertFalse(os.path.exists(log))


if __name__ == "__main__":
    main()

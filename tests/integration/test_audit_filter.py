"""Audit filters as Vault 1.16+ has them: a device enabled with
filter="<expression>" records only the requests the expression takes, a
fallback device records what every other device left out, a record no
device wants is no error, and an expression that does not parse is a 400
at enable time."""

import json
import os
import shutil
import tempfile

from harness import ServerTest, main

ROOT = "root-CANARY-TOKEN-a41f"
CANARY = "filter-CANARY-value-77e0"


def records(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return [json.loads(line) for line in f.read().splitlines()]


class AuditFilter(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token=ROOT).start()
        self.c = self.srv.client()
        self.tmp = tempfile.mkdtemp(prefix="coffer-audit-filter-")
        self.addCleanup(shutil.rmtree, self.tmp, True)

    def enable(self, path, **options):
        options.setdefault("file_path", os.path.join(self.tmp, path + ".log"))
        return self.srv.request("PUT", "/v1/sys/audit/" + path,
                                {"type": "file", "options": options})

    def log(self, path):
        return records(os.path.join(self.tmp, path + ".log"))

    def traffic(self):
        """A KV write and read, a mount listing, and a login."""
        self.c.secrets.kv.v2.create_or_update_secret(
            path="app", secret={"password": CANARY}, mount_point="secret")
        self.c.secrets.kv.v2.read_secret_version(path="app",
                                                 mount_point="secret")
        self.c.sys.list_mounted_secrets_engines()

    def test_filter_takes_only_what_it_names(self):
        status, body = self.enable(
            "kvreads", filter='mount_type == "kv" and operation == "read"')
        self.assertEqual(status, 204, body)
        self.assertEqual(self.enable("all")[0], 204)
        self.traffic()

        got = [(r["type"], r["request"]["operation"], r["request"]["path"])
               for r in self.log("kvreads")]
        # The request and its response, nothing else.
        self.assertEqual(got, [("request", "read", "secret/data/app"),
                               ("response", "read", "secret/data/app")])
        everything = self.log("all")
        paths = {r["request"]["path"] for r in everything}
        self.assertIn("sys/mounts", paths)
        self.assertIn("secret/data/app", paths)
        for r in self.log("kvreads") + everything:
            self.assertNotIn(CANARY, json.dumps(r))
        # The option is listed as it was given.
        listed = self.c.sys.list_enabled_audit_devices()["data"]
        self.assertEqual(listed["kvreads/"]["options"]["filter"],
                         'mount_type == "kv" and operation == "read"')

    def test_namespace_and_path_filters(self):
        status, _ = self.srv.request("POST", "/v1/sys/namespaces/team")
        self.assertIn(status, (200, 204))
        self.assertEqual(self.enable(
            "team", filter='namespace == "team/"')[0], 204)
        self.assertEqual(self.enable(
            "root", filter='namespace == "" and path matches "^sys/m"')[0],
            204)
        self.srv.request("GET", "/v1/sys/mounts",
                         headers={"X-Vault-Namespace": "team"})
        self.srv.request("GET", "/v1/sys/mounts")
        self.srv.request("GET", "/v1/secret/data/nothing")
        self.assertEqual({(r["request"]["namespace"]["path"],
                           r["request"]["path"]) for r in self.log("team")},
                         {("team/", "sys/mounts")})
        self.assertEqual({(r["request"]["namespace"]["path"],
                           r["request"]["path"]) for r in self.log("root")},
                         {("", "sys/mounts")})

    def test_fallback_takes_what_the_others_leave(self):
        self.assertEqual(self.enable("kv", filter='mount_type == "kv"')[0],
                         204)
        self.assertEqual(self.enable("rest", fallback="true")[0], 204)
        self.traffic()
        kv = {r["request"]["path"] for r in self.log("kv")}
        rest = {r["request"]["path"] for r in self.log("rest")}
        self.assertEqual(kv, {"secret/data/app"})
        self.assertIn("sys/mounts", rest)
        self.assertNotIn("secret/data/app", rest)

        # There is one fallback, and it takes no filter.
        status, body = self.enable("second", fallback="true")
        self.assertEqual(status, 400)
        self.assertIn("fallback", body["errors"][0])
        status, body = self.enable("both", fallback="true",
                                   filter='operation == "read"')
        self.assertEqual(status, 400)
        self.assertIn("cannot have a filter", body["errors"][0])
        status, body = self.enable("badfb", fallback="maybe")
        self.assertEqual(status, 400)

    def test_filtered_out_everywhere_is_no_error(self):
        """Fail closed only for records a device wanted (Vault's rule)."""
        sub = os.path.join(self.tmp, "sub")
        os.mkdir(sub)
        self.assertEqual(self.enable(
            "kv", filter='mount_type == "kv"',
            file_path=os.path.join(sub, "kv.log"))[0], 204)
        shutil.rmtree(sub)
        # Nobody wants a sys/ request: it is served.
        status, _ = self.srv.request("GET", "/v1/sys/mounts")
        self.assertEqual(status, 200)
        # The only device that wants a KV read cannot write: refused.
        status, body = self.srv.request("GET", "/v1/secret/data/app")
        self.assertEqual(status, 500)
        self.assertIn("audit failure", body["errors"][0])
        os.mkdir(sub)
        status, _ = self.srv.request("GET", "/v1/secret/data/app")
        self.assertEqual(status, 404)  # audited again; no such secret

    def test_bad_filters_are_refused_at_enable(self):
        cases = [
            ("mount_typo == \"kv\"", "unknown field \"mount_typo\""),
            ("mount_type = \"kv\"", "expected \"==\" or \"!=\""),
            ("(operation == \"read\"", "expected \")\""),
            ("path matches \"(\"", "bad regular expression"),
            ("path matches \"(a+)+\"", "repetition"),
            ("", "empty"),
            ("operation == \"read\" AND path == \"x\"", "column 21"),
        ]
        for expr, why in cases:
            status, body = self.enable("bad", filter=expr)
            self.assertEqual(status, 400, (expr, body))
            self.assertIn("invalid filter", body["errors"][0], expr)
            self.assertIn(why, body["errors"][0], expr)
        self.assertEqual(self.c.sys.list_enabled_audit_devices()["data"], {})
        self.assertFalse(os.path.exists(os.path.join(self.tmp, "bad.log")))

    def test_hvac_and_the_older_filter_options(self):
        self.c.sys.enable_audit_device(
            "file", path="hv", options={
                "file_path": os.path.join(self.tmp, "hv.log"),
                "filter": '"secret/" in mount_point'})
        self.assertEqual(self.enable(
            "ops", filter_operation="update")[0], 204)
        self.traffic()
        self.assertEqual({r["request"]["path"] for r in self.log("hv")},
                         {"secret/data/app"})
        self.assertEqual({r["request"]["operation"]
                          for r in self.log("ops")}, {"update"})


if __name__ == "__main__":
    main()

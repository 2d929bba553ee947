"""The `coffer kv` commands against the real server in dev mode: round
trips on the version 2 mount secret/ and on a version 1 mount, with the
output and exit codes a user sees."""

import json
import os
import subprocess

from harness import BIN, ServerTest, main


class CliKv(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True).start()

    def kv(self, *args, stdin=None, token="root"):
        env = dict(os.environ)
        for k in ("VAULT_TOKEN", "COFFER_TOKEN", "VAULT_NAMESPACE",
                  "VAULT_FORMAT", "COFFER_ADDR"):
            env.pop(k, None)
        env["VAULT_ADDR"] = self.srv.addr
        env["HOME"] = self.srv.dir
        env["VAULT_TOKEN"] = token
        p = subprocess.run([BIN, "kv"] + list(args), env=env, input=stdin,
                           capture_output=True, timeout=30, text=True)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args, stdin=None):
        code, out, err = self.kv(*args, stdin=stdin)
        self.assertEqual(code, 0, "kv %s: %s" % (" ".join(args), err))
        return out

    def get_json(self, *args):
        return json.loads(self.ok("get", "-format=json", *args))

    def test_v2_put_get_patch(self):
        out = self.ok("put", "secret/app/db", "user=svc", "password=p=w")
        self.assertIn("secret/data/app/db", out)
        self.assertRegex(out, r"\nversion\s+1\n")
        self.assertRegex(out, r"\ndeletion_time\s+n/a\n")

        out = self.ok("get", "secret/app/db")
        self.assertRegex(out, r"^=+ Secret Path =+\nsecret/data/app/db\n\n")
        self.assertIn("= Metadata =", out)
        self.assertRegex(out, r"\npassword\s+p=w\n")
        self.assertRegex(out, r"\nuser\s+svc\n")
        self.assertEqual(self.ok("get", "-field=user", "secret/app/db"),
                         "svc\n")
        self.assertEqual(self.ok("get", "-mount=secret", "-field=user",
                                 "app/db"), "svc\n")

        out = self.ok("patch", "secret/app/db", "password=new")
        self.assertRegex(out, r"\nversion\s+2\n")
        got = self.get_json("secret/app/db")["data"]
        self.assertEqual(got["data"], {"user": "svc", "password": "new"})
        self.assertEqual(got["metadata"]["version"], 2)
        old = self.get_json("-version=1", "secret/app/db")["data"]["data"]
        self.assertEqual(old["password"], "p=w")

        # The data may come as a JSON object on standard input.
        self.ok("put", "secret/app/json", "-",
                stdin='{"n": 1, "nested": {"a": true}}')
        got = self.get_json("secret/app/json")["data"]["data"]
        self.assertEqual(got, {"n": 1, "nested": {"a": True}})

    def test_v2_cas(self):
        self.ok("put", "-cas=0", "secret/c", "a=1")
        code, out, err = self.kv("put", "-cas=0", "secret/c", "a=2")
        self.assertEqual(code, 1)
        self.assertIn("check-and-set parameter did not match the current "
                      "version", err)
        self.assertIn("Error writing data to secret/data/c", err)
        self.assertEqual(out, "")
        self.ok("put", "-cas=1", "secret/c", "a=2")
        code, _, err = self.kv("patch", "-cas=1", "secret/c", "a=3")
        self.assertEqual(code, 1, err)
        self.assertIn("check-and-set", err)
        self.assertEqual(self.ok("get", "-field=a", "secret/c"), "2\n")

        # A secret that demands cas refuses a write without it.
        self.ok("metadata", "put", "-cas-required=true", "secret/c")
        code, _, err = self.kv("put", "secret/c", "a=4")
        self.assertEqual(code, 1)
        self.assertIn("check-and-set parameter required", err)

    def test_v2_versions(self):
        for v in ("1", "2", "3"):
            self.ok("put", "secret/v", "n=" + v)
        out = self.ok("delete", "secret/v")
        self.assertIn("Success! Data deleted (if it existed) at: "
                      "secret/data/v", out)
        # The latest version is deleted: only its metadata is left.
        out = self.ok("get", "secret/v")
        self.assertNotIn("= Data =", out)
        code, _, err = self.kv("get", "-field=n", "secret/v")
        self.assertEqual(code, 2)
        self.assertIn("No data found", err)

        self.ok("undelete", "-versions=3", "secret/v")
        self.assertEqual(self.ok("get", "-field=n", "secret/v"), "3\n")

        self.ok("delete", "-versions=1,2", "secret/v")
        self.ok("destroy", "-versions=2", "secret/v")
        meta = json.loads(self.ok("metadata", "get", "-format=json",
                                  "secret/v"))["data"]
        self.assertNotEqual(meta["versions"]["1"]["deletion_time"], "")
        self.assertTrue(meta["versions"]["2"]["destroyed"])
        self.assertEqual(meta["versions"]["3"]["deletion_time"], "")
        self.ok("undelete", "-versions=1", "secret/v")
        self.assertEqual(self.ok("get", "-version=1", "-field=n",
                                 "secret/v"), "1\n")

        code, _, err = self.kv("undelete", "secret/v")
        self.assertEqual(code, 2, err)
        code, _, err = self.kv("destroy", "-versions=x", "secret/v")
        self.assertEqual(code, 2, err)

    def test_v2_list_and_metadata(self):
        self.ok("put", "secret/team/a", "k=v")
        self.ok("put", "secret/team/sub/b", "k=v")
        out = self.ok("list", "secret/team")
        self.assertEqual(out, "Keys\n----\na\nsub/\n")
        self.assertEqual(json.loads(self.ok("list", "-format=json",
                                            "secret/")), ["team/"])
        code, _, err = self.kv("list", "secret/none")
        self.assertEqual(code, 2)
        self.assertIn("No value found at secret/metadata/none/", err)

        out = self.ok("metadata", "put", "-max-versions=4",
                      "-delete-version-after=1h",
                      "-custom-metadata=owner=ops", "secret/team/a")
        self.assertIn("Success! Data written to: secret/metadata/team/a",
                      out)
        out = self.ok("metadata", "get", "secret/team/a")
        self.assertRegex(out, r"^=+ Metadata Path =+\n"
                         r"secret/metadata/team/a\n\n")
        self.assertRegex(out, r"\nmax_versions\s+4\n")
        self.assertRegex(out, r"\ndelete_version_after\s+1h0m0s\n")
        self.assertIn("owner", out)
        self.assertIn("= Version 1 =", out)

        out = self.ok("metadata", "delete", "secret/team/a")
        self.assertIn("secret/metadata/team/a", out)
        code, _, err = self.kv("get", "secret/team/a")
        self.assertEqual(code, 2)
        self.assertIn("No value found at secret/data/team/a", err)
        code, _, _ = self.kv("metadata", "get", "secret/team/a")
        self.assertEqual(code, 2)

    def test_v1_mount(self):
        env = dict(os.environ, VAULT_ADDR=self.srv.addr, VAULT_TOKEN="root",
                   HOME=self.srv.dir)
        subprocess.run([BIN, "secrets", "enable", "-path=kv1", "kv"],
                       env=env, check=True, capture_output=True, timeout=30)
        out = self.ok("put", "kv1/app/db", "user=svc")
        self.assertEqual(out, "Success! Data written to: kv1/app/db\n")
        out = self.ok("get", "kv1/app/db")
        self.assertNotIn("Secret Path", out)
        self.assertIn("= Data =", out)
        self.assertRegex(out, r"\nuser\s+svc\n")
        self.assertEqual(self.ok("get", "-field=user", "kv1/app/db"),
                         "svc\n")
        self.assertEqual(self.get_json("kv1/app/db")["data"],
                         {"user": "svc"})
        self.assertEqual(self.ok("list", "kv1/app"), "Keys\n----\ndb\n")

        # Version 2 features are refused without a request to the server.
        for args in (("patch", "kv1/app/db", "a=b"),
                     ("undelete", "-versions=1", "kv1/app/db"),
                     ("metadata", "get", "kv1/app/db")):
            code, _, err = self.kv(*args)
            self.assertEqual(code, 1, args)
            self.assertIn("version 2", err)

        out = self.ok("delete", "kv1/app/db")
        self.assertIn("kv1/app/db", out)
        code, _, err = self.kv("get", "kv1/app/db")
        self.assertEqual(code, 2)
        self.assertIn("No value found at kv1/app/db", err)

    def test_errors(self):
        code, _, err = self.kv("get", "secret/x", token="bad-token")
        self.assertEqual(code, 1)
        self.assertIn("permission denied", err)
        self.assertNotIn("bad-token", err)
        code, _, _ = self.kv("put", "secret/x")
        self.assertEqual(code, 2)
        code, _, _ = self.kv("get")
        self.assertEqual(code, 2)
        code, _, _ = self.kv("metadata", "nope", "secret/x")
        self.assertEqual(code, 2)


if __name__ == "__main__":
    main()

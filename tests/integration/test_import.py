"""coffer import and export between two dev servers: KV trees copied
v2->v2, v1->v2 and v2->v1 with every secret checked, re-runs that change
nothing, failures that are listed and turn the exit code to 1, and the
file formats."""

import json
import os
import re
import shutil
import subprocess
import tempfile

from harness import BIN, ServerTest, main

N_V2 = 200
N_V1 = 100


def v2_path(i):
    return "team%d/app%d/s%d" % (i % 4, i % 7, i)


def v1_path(i):
    return "svc%d/cfg%d" % (i % 5, i)


class Import(ServerTest):
    def setUp(self):
        super().setUp()
        self.src = self.server(dev=True).start()
        self.dst = self.server(dev=True).start()
        self.tmp = tempfile.mkdtemp(prefix="coffer-import-")
        for srv in (self.src, self.dst):
            self.mount(srv, "kv1", 1)
        self.mount(self.dst, "kv2", 2)
        self.v2 = {}
        self.custom = {}
        for i in range(N_V2):
            data = {"value": "v2-%d" % i, "n": str(i), "nested": {"i": i}}
            self.put(self.src, "secret/data/" + v2_path(i), {"data": data})
            self.v2[v2_path(i)] = data
            if i % 10 == 0:
                cm = {"owner": "team%d" % (i % 4), "idx": str(i)}
                self.put(self.src, "secret/metadata/" + v2_path(i),
                         {"custom_metadata": cm})
                self.custom[v2_path(i)] = cm
        self.v1 = {}
        for i in range(N_V1):
            data = {"password": "pw-%d" % i}
            self.put(self.src, "kv1/" + v1_path(i), data)
            self.v1[v1_path(i)] = data

    def tearDown(self):
        shutil.rmtree(self.tmp, ignore_errors=True)
        super().tearDown()

    def mount(self, srv, path, version):
        st, _ = srv.request("POST", "/v1/sys/mounts/" + path, {
            "type": "kv", "options": {"version": str(version)}})
        self.assertEqual(st, 204)

    def put(self, srv, path, body):
        st, _ = srv.request("PUT", "/v1/" + path, body)
        self.assertIn(st, (200, 204), path)

    def get(self, srv, path):
        st, body = srv.request("GET", "/v1/" + path)
        self.assertEqual(st, 200, path)
        return body["data"]

    def coffer(self, *args, stdin=None):
        env = dict(os.environ)
        env["VAULT_ADDR"] = self.dst.addr
        env["VAULT_TOKEN"] = "root"
        env["HOME"] = self.tmp
        p = subprocess.run([BIN] + list(args), env=env, input=stdin,
                           capture_output=True, text=True, timeout=300)
        return p.returncode, p.stdout, p.stderr

    def import_vault(self, path, to, token="root"):
        return self.coffer("import", "vault", "-address=" + self.src.addr,
                           "-token=" + token, "-path=" + path, "-to=" + to)

    def counts(self, out):
        m = re.search(r"Imported (\d+) secrets from .* \((\d+) written, "
                      r"(\d+) unchanged\)", out)
        self.assertIsNotNone(m, out)
        return tuple(int(x) for x in m.groups())

    def test_v2_to_v2_with_custom_metadata_and_rerun(self):
        code, out, err = self.import_vault("secret/", "kv2/")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.counts(out), (N_V2, N_V2, 0))
        self.assertIn("from %s/v1/secret/ to kv2/" % self.src.addr, out)
        for p, data in self.v2.items():
            got = self.get(self.dst, "kv2/data/" + p)
            self.assertEqual(got["data"], data, p)
            meta = self.get(self.dst, "kv2/metadata/" + p)
            self.assertEqual(meta["custom_metadata"] or None,
                             self.custom.get(p), p)

        # The second run writes nothing, so no versions pile up.
        code, out, err = self.import_vault("secret/", "kv2/")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.counts(out), (N_V2, 0, N_V2))
        for p in list(self.v2)[:20]:
            meta = self.get(self.dst, "kv2/metadata/" + p)
            self.assertEqual(meta["current_version"], 1, p)

        # A changed source value is written again, only that one.
        self.put(self.src, "secret/data/" + v2_path(3),
                 {"data": {"value": "changed"}})
        code, out, err = self.import_vault("secret/", "kv2/")
        self.assertEqual(self.counts(out), (N_V2, 1, N_V2 - 1))
        self.assertEqual(
            self.get(self.dst, "kv2/data/" + v2_path(3))["data"],
            {"value": "changed"})

    def test_subtree_v1_to_v2(self):
        code, out, err = self.import_vault("kv1/", "kv2/from-v1/")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.counts(out), (N_V1, N_V1, 0))
        for p, data in self.v1.items():
            got = self.get(self.dst, "kv2/data/from-v1/" + p)
            self.assertEqual(got["data"], data, p)
        # Only one folder of a tree.
        code, out, err = self.import_vault("kv1/svc2", "secret/only-svc2")
        self.assertEqual(code, 0, err)
        want = {p for p in self.v1 if p.startswith("svc2/")}
        self.assertEqual(self.counts(out)[0], len(want))
        got = self.get(self.dst, "secret/data/only-svc2/" +
                       sorted(want)[0][len("svc2/"):])
        self.assertEqual(got["data"], self.v1[sorted(want)[0]])

    def test_v2_to_v1(self):
        code, out, err = self.import_vault("secret/", "kv1/copy/")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.counts(out), (N_V2, N_V2, 0))
        self.assertIn("custom_metadata of %d secrets" % len(self.custom),
                      err)
        for p, data in self.v2.items():
            self.assertEqual(self.get(self.dst, "kv1/copy/" + p), data, p)
        code, out, err = self.import_vault("secret/", "kv1/copy/")
        self.assertEqual(self.counts(out), (N_V2, 0, N_V2))

    def test_failures_are_listed(self):
        code, out, err = self.import_vault("secret/", "kv2/", token="bad")
        self.assertEqual(code, 1)
        self.assertIn("permission denied", err)

        # A secret whose latest version is deleted cannot be read: it is
        # named, the others are still copied, and the exit code is 1.
        st, _ = self.src.request("DELETE", "/v1/secret/data/" + v2_path(5))
        self.assertEqual(st, 204)
        code, out, err = self.import_vault("secret/", "kv2/")
        self.assertEqual(code, 1)
        self.assertIn("Failed to read secret/%s" % v2_path(5), err)
        self.assertIn("1 secrets could not be imported", err)
        self.assertEqual(self.counts(out), (N_V2 - 1, N_V2 - 1, 0))

        # A destination that is not a KV mount.
        code, out, err = self.import_vault("secret/", "sys/")
        self.assertEqual(code, 1)
        self.assertIn("not a KV one", err)

    def test_export_then_import_json_and_env(self):
        code, out, err = self.coffer("import", "vault",
                                     "-address=" + self.src.addr,
                                     "-path=kv1/", "-to=kv2/exp/")
        self.assertEqual(code, 0, err)  # token defaults to the dest's
        code, out, err = self.coffer("export", "-path=kv2/exp/")
        self.assertEqual(code, 0, err)
        tree = json.loads(out)
        self.assertEqual(tree, self.v1)

        f = os.path.join(self.tmp, "tree.json")
        with open(f, "w") as fh:
            fh.write(out)
        # Nested keys hold "/", so each becomes a secret at that path.
        code, out, err = self.coffer("import", "json", f, "-path=kv1/rt/")
        self.assertEqual(code, 0, err)
        for p, data in self.v1.items():
            self.assertEqual(self.get(self.dst, "kv1/rt/" + p), data, p)

        env = os.path.join(self.tmp, "app.env")
        with open(env, "w") as fh:
            fh.write('# app\nexport USER=svc\nPASS="a \\"b\\"\\nc"\n'
                     "SINGLE='x y' # note\n")
        code, out, err = self.coffer("import", "env", env,
                                     "-path=kv2/app/config")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.counts(out), (1, 1, 0))
        want = {"USER": "svc", "PASS": 'a "b"\nc', "SINGLE": "x y"}
        self.assertEqual(
            self.get(self.dst, "kv2/data/app/config")["data"], want)
        code, out, err = self.coffer("export", "-format=env",
                                     "-path=kv2/app/config")
        self.assertEqual(code, 0, err)
        again = os.path.join(self.tmp, "again.env")
        with open(again, "w") as fh:
            fh.write(out)
        code, out, err = self.coffer("import", "env", again,
                                     "-path=kv2/app/config")
        self.assertEqual(self.counts(out), (1, 0, 1))

    def test_import_yaml(self):
        y = os.path.join(self.tmp, "app.yaml")
        with open(y, "w") as fh:
            fh.write("# config\nname: app\ndb:\n  user: svc\n"
                     "  pass: 'p''w'\napi:\n  key: \"k # 1\"\n")
        code, out, err = self.coffer("import", "yaml", y, "-path=kv2/y")
        self.assertEqual(code, 0, err)
        self.assertEqual(self.counts(out), (3, 3, 0))
        self.assertEqual(self.get(self.dst, "kv2/data/y")["data"],
                         {"name": "app"})
        self.assertEqual(self.get(self.dst, "kv2/data/y/db")["data"],
                         {"user": "svc", "pass": "p'w"})
        self.assertEqual(self.get(self.dst, "kv2/data/y/api")["data"],
                         {"key": "k # 1"})
        with open(y, "w") as fh:
            fh.write("servers:\n  - a\n  - b\n")
        code, out, err = self.coffer("import", "yaml", y, "-path=kv2/y")
        self.assertEqual(code, 1)
        self.assertIn("line 2: lists are not supported", err)


if __name__ == "__main__":
    main()

"""KV version 2 through hvac 0.11.2's secrets.kv.v2, every call it has,
unchanged, against the real server: writes with and without cas, reads of
versions, patch, soft delete, undelete, destroy, metadata (max_versions,
cas_required, custom_metadata), list, delete of everything, the mount's
configuration, check-and-set conflicts and the pruning of old versions.
test_cli_kv.py covers the same engine through `coffer kv`."""

import hvac
import hvac.exceptions

from harness import ServerTest, main


class Kv2Hvac(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="root").start()
        self.c = self.srv.client()
        self.kv = self.c.secrets.kv.v2
        self.c.sys.enable_secrets_engine("kv", path="kv2",
                                         options={"version": "2"})

    def put(self, path, data, cas=None, mount="secret"):
        return self.kv.create_or_update_secret(
            path=path, secret=data, cas=cas, mount_point=mount)["data"]

    def read(self, path, version=None, mount="secret"):
        return self.kv.read_secret_version(
            path=path, version=version, mount_point=mount)["data"]

    def meta(self, path, mount="secret"):
        return self.kv.read_secret_metadata(path=path,
                                            mount_point=mount)["data"]

    def test_write_read_versions_and_patch(self):
        w = self.put("app/db", {"user": "svc", "password": "one"})
        self.assertEqual(w["version"], 1)
        self.assertEqual(w["deletion_time"], "")
        self.assertFalse(w["destroyed"])
        self.assertTrue(w["created_time"].endswith("Z"))
        self.assertEqual(self.put("app/db", {"user": "svc",
                                             "password": "two"})["version"],
                         2)
        got = self.read("app/db")
        self.assertEqual(got["data"], {"user": "svc", "password": "two"})
        self.assertEqual(got["metadata"]["version"], 2)
        self.assertEqual(self.read("app/db", version=1)["data"]["password"],
                         "one")
        # hvac's read_secret is the latest version too.
        self.assertEqual(self.kv.read_secret(path="app/db")["data"]["data"],
                         {"user": "svc", "password": "two"})

        # patch: a read then a cas write of the merged data.
        p = self.kv.patch(path="app/db", secret={"password": "three",
                                                 "port": 5432})["data"]
        self.assertEqual(p["version"], 3)
        self.assertEqual(self.read("app/db")["data"],
                         {"user": "svc", "password": "three", "port": 5432})
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.kv.patch(path="app/none", secret={"a": "b"})

        # Unknown paths and versions are 404s: InvalidPath.
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.read("app/none")
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.read("app/db", version=99)

    def test_cas(self):
        self.put("c", {"v": "1"}, cas=0)
        # cas=0: only if the secret does not exist yet.
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.put("c", {"v": "x"}, cas=0)
        self.assertIn("check-and-set parameter did not match",
                      str(e.exception))
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.put("c", {"v": "x"}, cas=2)
        self.assertEqual(self.put("c", {"v": "2"}, cas=1)["version"], 2)
        self.assertEqual(self.read("c")["data"], {"v": "2"})

        # cas_required on the secret: a write without cas is refused...
        self.kv.update_metadata(path="c", cas_required=True)
        self.assertTrue(self.meta("c")["cas_required"])
        with self.assertRaises(hvac.exceptions.InvalidRequest) as e:
            self.put("c", {"v": "3"})
        self.assertIn("check-and-set parameter required", str(e.exception))
        self.assertEqual(self.put("c", {"v": "3"}, cas=2)["version"], 3)
        # ...and on the whole mount, for every secret.
        self.kv.configure(cas_required=True, mount_point="kv2")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.put("any", {"v": "1"}, mount="kv2")
        self.assertEqual(self.put("any", {"v": "1"}, cas=0,
                                  mount="kv2")["version"], 1)
        # Nothing of the refused writes was stored.
        self.assertEqual(self.meta("c")["current_version"], 3)
        self.assertEqual(self.meta("any", mount="kv2")["current_version"],
                         1)

    def test_delete_undelete_destroy(self):
        for i in range(1, 5):
            self.put("d", {"n": i})
        self.kv.delete_latest_version_of_secret(path="d")
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.read("d")
        self.assertEqual(self.read("d", version=3)["data"], {"n": 3})

        self.kv.delete_secret_versions(path="d", versions=[1, 2])
        for v in (1, 2, 4):
            with self.assertRaises(hvac.exceptions.InvalidPath):
                self.read("d", version=v)
        self.kv.undelete_secret_versions(path="d", versions=[2, 4])
        self.assertEqual(self.read("d")["data"], {"n": 4})
        self.assertEqual(self.read("d", version=2)["data"], {"n": 2})

        self.kv.destroy_secret_versions(path="d", versions=[2, 3])
        m = self.meta("d")["versions"]
        self.assertTrue(m["2"]["destroyed"])
        self.assertTrue(m["3"]["destroyed"])
        self.assertFalse(m["4"]["destroyed"])
        self.assertNotEqual(m["1"]["deletion_time"], "")
        # A destroyed version cannot come back.
        self.kv.undelete_secret_versions(path="d", versions=[3])
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.read("d", version=3)
        self.assertTrue(self.meta("d")["versions"]["3"]["destroyed"])
        # Bad version lists are refused.
        # Bad version lists are refused (hvac checks some itself).
        for bad in ([], ["x"], [-1], "one", None):
            for op in ("destroy", "delete", "undelete"):
                status, _ = self.srv.request("POST", "/v1/secret/%s/d" % op,
                                             {"versions": bad})
                self.assertEqual(status, 400, (op, bad))
        self.assertFalse(self.meta("d")["versions"]["4"]["destroyed"])

    def test_metadata_and_pruning(self):
        for i in range(1, 6):
            self.put("m", {"n": i})
        self.kv.update_metadata(path="m", max_versions=3)
        m = self.meta("m")
        self.assertEqual(m["max_versions"], 3)
        self.assertEqual(m["current_version"], 5)
        self.assertEqual(len(m["versions"]), 5)  # not pruned yet
        # Pruning happens on the next write: only the newest 3 remain.
        self.put("m", {"n": 6})
        m = self.meta("m")
        self.assertEqual(sorted(m["versions"], key=int), ["4", "5", "6"])
        self.assertEqual(m["oldest_version"], 4)
        for gone in (1, 2, 3):
            with self.assertRaises(hvac.exceptions.InvalidPath):
                self.read("m", version=gone)
        self.assertEqual(self.read("m", version=4)["data"], {"n": 4})

        # The mount's max_versions applies where the secret sets none.
        self.kv.configure(max_versions=2, mount_point="kv2")
        conf = self.kv.read_configuration(mount_point="kv2")["data"]
        self.assertEqual(conf["max_versions"], 2)
        self.assertFalse(conf["cas_required"])
        self.assertEqual(conf["delete_version_after"], "0s")
        for i in range(1, 5):
            self.put("p", {"n": i}, mount="kv2")
        self.assertEqual(sorted(self.meta("p", mount="kv2")["versions"],
                                key=int), ["3", "4"])

        # custom_metadata: hvac 0.11.2 has no argument for it, so the
        # same request it makes, with the field added.
        status, _ = self.srv.request(
            "POST", "/v1/secret/metadata/m",
            {"custom_metadata": {"owner": "ops", "tier": "1"}})
        self.assertEqual(status, 204)
        m = self.meta("m")
        self.assertEqual(m["custom_metadata"], {"owner": "ops",
                                                "tier": "1"})
        self.assertEqual(m["max_versions"], 3)  # kept
        # An update through hvac leaves custom_metadata alone.
        self.kv.update_metadata(path="m", delete_version_after="1h")
        m = self.meta("m")
        self.assertEqual(m["delete_version_after"], "1h0m0s")
        self.assertEqual(m["custom_metadata"], {"owner": "ops",
                                                "tier": "1"})
        # Values are strings; a number is taken as its text, as Vault's
        # weak decoding does, and anything else is refused.
        status, _ = self.srv.request("POST", "/v1/secret/metadata/m",
                                     {"custom_metadata": {"owner": 5}})
        self.assertEqual(status, 204)
        self.assertEqual(self.meta("m")["custom_metadata"], {"owner": "5"})
        for bad in ("owner=ops", ["owner"], {"owner": {"a": "b"}},
                    {"": "x"}):
            status, body = self.srv.request(
                "POST", "/v1/secret/metadata/m", {"custom_metadata": bad})
            self.assertEqual(status, 400, (bad, body))
        self.assertEqual(self.meta("m")["custom_metadata"], {"owner": "5"})

    def test_list_and_delete_everything(self):
        for p in ("team/a", "team/b", "team/sub/c", "other"):
            self.put(p, {"v": p})
        self.assertEqual(self.kv.list_secrets(path="")["data"]["keys"],
                         ["other", "team/"])
        self.assertEqual(self.kv.list_secrets(path="team")["data"]["keys"],
                         ["a", "b", "sub/"])
        # A deleted latest version still lists: its metadata is there.
        self.kv.delete_latest_version_of_secret(path="team/a")
        self.assertIn("a", self.kv.list_secrets(path="team")["data"]
                      ["keys"])
        self.kv.delete_metadata_and_all_versions(path="team/a")
        self.assertEqual(self.kv.list_secrets(path="team")["data"]["keys"],
                         ["b", "sub/"])
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.meta("team/a")
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.read("team/a")
        with self.assertRaises(hvac.exceptions.InvalidPath):
            self.kv.list_secrets(path="nothing")
        # Written again, it starts at version 1.
        self.assertEqual(self.put("team/a", {"v": "new"})["version"], 1)

    def test_configure_defaults_and_bad_values(self):
        conf = self.kv.read_configuration()["data"]
        self.assertEqual(conf["max_versions"], 0)
        self.assertFalse(conf["cas_required"])
        self.kv.configure(max_versions=5, cas_required=False,
                          delete_version_after="30m")
        conf = self.kv.read_configuration()["data"]
        self.assertEqual(conf["max_versions"], 5)
        self.assertEqual(conf["delete_version_after"], "30m0s")
        for bad in ({"max_versions": -1}, {"delete_version_after": "soon"},
                    {"cas_required": "maybe"}):
            status, _ = self.srv.request("POST", "/v1/secret/config", bad)
            self.assertEqual(status, 400, bad)
        self.assertEqual(self.kv.read_configuration()["data"]
                         ["max_versions"], 5)


if __name__ == "__main__":
    main()

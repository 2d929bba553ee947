"""Init, unseal, seal, restart and key rotation, driven by python3-hvac
against the real server on SQLite."""

import os
import sqlite3

import hvac
import hvac.exceptions

from harness import ServerTest, main


class SealLifecycle(ServerTest):
    def init_server(self):
        srv = self.server().start()
        c = srv.client()
        self.assertFalse(c.sys.is_initialized())
        result = c.sys.initialize(secret_shares=5, secret_threshold=3)
        self.assertEqual(len(result["keys"]), 5)
        self.assertEqual(len(result["keys_base64"]), 5)
        self.assertTrue(result["root_token"])
        return srv, result

    def unseal(self, srv, keys):
        c = srv.client()
        status = None
        for i, key in enumerate(keys[:3]):
            status = c.sys.submit_unseal_key(key)
            if i < 2:
                self.assertTrue(status["sealed"])
                self.assertEqual(status["progress"], i + 1)
        self.assertFalse(status["sealed"])
        self.assertEqual(status["progress"], 0)

    def test_init_unseal_seal_restart(self):
        srv, init = self.init_server()
        c = srv.client(init["root_token"])

        # A new server is initialised but sealed, and refuses data calls.
        self.assertTrue(c.sys.is_initialized())
        self.assertTrue(c.sys.is_sealed())
        with self.assertRaises(hvac.exceptions.VaultDown):
            c.sys.list_mounted_secrets_engines()

        self.unseal(srv, init["keys"])
        c.sys.enable_secrets_engine("kv", path="secret",
                                    options={"version": "2"})
        c.secrets.kv.v2.create_or_update_secret(
            path="app/db", secret={"password": "hunter2"},
            mount_point="secret")

        c.sys.seal()
        self.assertTrue(c.sys.is_sealed())
        with self.assertRaises(hvac.exceptions.VaultDown):
            c.secrets.kv.v2.read_secret_version(path="app/db",
                                                mount_point="secret")

        # After a restart the server remembers it was initialised, and
        # starts sealed; base64 shares unseal it as well as hex ones.
        srv.restart()
        c = srv.client(init["root_token"])
        self.assertTrue(c.sys.is_initialized())
        self.assertTrue(c.sys.is_sealed())
        self.unseal(srv, init["keys_base64"][2:])
        got = c.secrets.kv.v2.read_secret_version(path="app/db",
                                                  mount_point="secret")
        self.assertEqual(got["data"]["data"], {"password": "hunter2"})

    def test_unseal_bad_keys(self):
        srv, init = self.init_server()
        c = srv.client()

        # A key that is neither hex nor base64 is refused outright.
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            c.sys.submit_unseal_key("not a key!")
        # The same share twice does not count twice.
        c.sys.submit_unseal_key(init["keys"][0])
        status = c.sys.submit_unseal_key(init["keys"][0])
        self.assertEqual(status["progress"], 1)
        # Reset drops the collected shares.
        status = c.sys.submit_unseal_key(reset=True)
        self.assertEqual(status["progress"], 0)
        # Shares of another server's init combine into a wrong key: the
        # unseal fails and the progress starts over.
        other, other_init = self.init_server()
        c.sys.submit_unseal_key(init["keys"][0])
        c.sys.submit_unseal_key(init["keys"][1])
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            c.sys.submit_unseal_key(other_init["keys"][0])
        status = c.sys.read_seal_status()
        self.assertTrue(status["sealed"])
        self.assertEqual(status["progress"], 0)
        # A second init is refused.
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            c.sys.initialize(secret_shares=1, secret_threshold=1)

    def test_bad_init_parameters(self):
        srv = self.server().start()
        for shares, threshold in [(3, 5), (0, 0), (256, 2), (5, 0)]:
            status, body = srv.request("PUT", "/v1/sys/init", {
                "secret_shares": shares, "secret_threshold": threshold})
            self.assertEqual(status, 400, (shares, threshold, body))
            self.assertTrue(body["errors"])
        self.assertFalse(srv.client().sys.is_initialized())

    def test_rotate_keeps_old_data(self):
        srv, init = self.init_server()
        self.unseal(srv, init["keys"])
        c = srv.client(init["root_token"])
        c.sys.enable_secrets_engine("kv", path="kv1")
        c.write("kv1/before", value="old-term")

        self.assertEqual(c.sys.get_encryption_key_status()["term"], 1)
        c.sys.rotate_encryption_key()
        self.assertEqual(c.sys.get_encryption_key_status()["term"], 2)
        c.write("kv1/after", value="new-term")

        srv.restart()
        self.unseal(srv, init["keys"][1:])
        c = srv.client(init["root_token"])
        self.assertEqual(c.read("kv1/before")["data"]["value"], "old-term")
        self.assertEqual(c.read("kv1/after")["data"]["value"], "new-term")
        self.assertEqual(c.sys.get_encryption_key_status()["term"], 2)

    def test_storage_holds_no_plaintext(self):
        srv, init = self.init_server()
        self.unseal(srv, init["keys"])
        c = srv.client(init["root_token"])
        canary = "canary-5f1e9c0b-plaintext-must-not-appear"
        c.sys.enable_secrets_engine("kv", path="secret",
                                    options={"version": "2"})
        c.secrets.kv.v2.create_or_update_secret(
            path="canary", secret={"value": canary}, mount_point="secret")
        c.sys.enable_secrets_engine("kv", path="kv1")
        c.write("kv1/canary", value=canary)
        srv.stop()

        raw = b""
        for suffix in ("", "-wal", "-shm"):
            p = srv.db_path + suffix
            if os.path.exists(p):
                with open(p, "rb") as f:
                    raw += f.read()
        self.assertGreater(len(raw), 0)
        for secret in (canary, init["root_token"], init["keys"][0]):
            self.assertNotIn(secret.encode(), raw)
        self.assertNotIn(init["keys_base64"][0].encode(), raw)
        # The database is a sound SQLite file.
        db = sqlite3.connect(srv.db_path)
        self.assertEqual(db.execute("PRAGMA integrity_check").fetchone(),
                         ("ok",))
        db.close()


if __name__ == "__main__":
    main()

"""Coffer on PostgreSQL storage, against a real PostgreSQL started for the
test (pgtest.py): the storage conformance suite, the seal life cycle,
SIGKILL under concurrent writes, and the database going away and coming
back under load (perf-security.md part C and B4 case 67)."""

import os
import random
import subprocess
import threading
import time
import unittest

import pgtest
from harness import BIN, ServerTest, main


def pg_storage(pg, table):
    return ('storage "postgresql" {\n  connection_url = "%s"\n'
            '  table = "%s"\n  connect_timeout = 2\n'
            '  statement_timeout = 5000\n}' % (pg.url, table))


@unittest.skipUnless(pgtest.available(), "PostgreSQL is not installed")
class PostgresStorage(ServerTest):
    @classmethod
    def setUpClass(cls):
        cls.pg = pgtest.Postgres().init()

    @classmethod
    def tearDownClass(cls):
        cls.pg.cleanup()

    def setUp(self):
        super().setUp()
        if not self.pg.running():
            self.pg.start()

    def pg_server(self, table):
        return self.server(storage=pg_storage(self.pg, table))

    def init_unseal(self, srv):
        init = srv.client().sys.initialize(secret_shares=1,
                                           secret_threshold=1)
        srv.root_token = init["root_token"]
        srv.unseal_key = init["keys"][0]
        srv.client().sys.submit_unseal_key(srv.unseal_key)
        srv.client().sys.enable_secrets_engine(
            "kv", path="secret", options={"version": "2"})

    def test_conformance_suite(self):
        """Every storage test that runs on sqlite runs on PostgreSQL."""
        folder = os.environ.get("COFFER_TEST_BIN_DIR",
                                os.path.dirname(BIN))
        binary = os.path.join(folder, "test_storage")
        if not os.path.exists(binary):
            self.skipTest("test_storage is not built")
        env = dict(os.environ, COFFER_TEST_PG_URL=self.pg.url)
        out = subprocess.run([binary], env=env, stdout=subprocess.PIPE,
                             stderr=subprocess.STDOUT, timeout=300)
        text = out.stdout.decode("utf-8", "replace")
        self.assertEqual(out.returncode, 0, text[-4000:])
        self.assertNotIn("SKIPPED", text)
        self.assertIn("test_pg_ha_fencing", text)

    def test_lifecycle(self):
        srv = self.pg_server("life").start()
        status, body = srv.request("GET", "/v1/sys/seal-status")
        self.assertEqual(body["storage_type"], "postgresql")
        self.init_unseal(srv)
        c = srv.client()
        c.secrets.kv.v2.create_or_update_secret("app", {"pw": "one"})

        # Sealed: refused; unsealed again: the data is there.
        c.sys.seal()
        status, _ = srv.request("GET", "/v1/secret/data/app")
        self.assertEqual(status, 503)
        c.sys.submit_unseal_key(srv.unseal_key)
        got = c.secrets.kv.v2.read_secret_version("app")
        self.assertEqual(got["data"]["data"], {"pw": "one"})

        # A restarted server reads the same database.
        srv.restart()
        srv.client().sys.submit_unseal_key(srv.unseal_key)
        got = srv.client().secrets.kv.v2.read_secret_version("app")
        self.assertEqual(got["data"]["data"], {"pw": "one"})

        # The values in the table are sealed by the barrier.
        rows = self.pg.psql("coffer", "SELECT encode(value, 'escape') "
                                      "FROM life")
        self.assertTrue(rows)
        self.assertFalse(any("one" in r[0] for r in rows))

    def writer(self, srv, wid, acked, stop, statuses):
        seq = 0
        while not stop.is_set():
            seq += 1
            key = "w%d/k%d" % (wid, seq % 4)
            try:
                status, _ = srv.request("PUT", "/v1/secret/data/" + key,
                                        {"data": {"seq": seq}})
            except OSError:
                if not srv.alive():
                    return
                status = 0
            statuses.append(status)
            if status in (200, 204):
                acked[key] = seq

    def check_acked(self, srv, acked):
        for key, seq in acked.items():
            status, body = srv.request("GET", "/v1/secret/data/" + key)
            self.assertEqual(status, 200, (key, body))
            self.assertGreaterEqual(body["data"]["data"]["seq"], seq, key)

    def run_writers(self, srv, seconds, during=None):
        acked, stop, statuses = {}, threading.Event(), []
        threads = [threading.Thread(target=self.writer,
                                    args=(srv, w, acked, stop, statuses))
                   for w in range(6)]
        for t in threads:
            t.start()
        if during:
            during()
        time.sleep(seconds)
        stop.set()
        for t in threads:
            t.join()
        return acked, statuses

    def test_kill_during_writes(self):
        srv = self.pg_server("crash").start()
        self.init_unseal(srv)
        for _ in range(2):
            acked, _ = self.run_writers(
                srv, random.uniform(0.5, 1.5), during=None)
            srv.kill()
            self.assertGreater(len(acked), 0)
            srv.start()
            srv.client().sys.submit_unseal_key(srv.unseal_key)
            self.check_acked(srv, acked)

    def test_database_outage(self):
        """503 while PostgreSQL is away, no hang, and recovery without a
        restart of the server; nothing acknowledged is lost."""
        srv = self.pg_server("outage").start()
        self.init_unseal(srv)
        outage = {}

        def stop_and_restart():
            time.sleep(1)
            self.pg.stop("immediate")
            t = time.time()
            # During the outage a request fails fast and cleanly.
            status, body = srv.request("GET", "/v1/secret/data/w0/k1")
            outage["status"] = status
            outage["seconds"] = time.time() - t
            time.sleep(2)
            self.pg.start()

        acked, statuses = self.run_writers(srv, 4, during=stop_and_restart)
        self.assertEqual(outage["status"], 503)
        self.assertLess(outage["seconds"], 10)
        self.assertIn(503, statuses)
        bad = [s for s in statuses if s not in (200, 204, 503)]
        self.assertEqual(bad, [])

        # Back without a restart: writes succeed again and every
        # acknowledged one, before or after, is there.
        deadline = time.time() + 20
        while time.time() < deadline:
            status, _ = srv.request("PUT", "/v1/secret/data/after",
                                    {"data": {"seq": 1}})
            if status == 200:
                break
            time.sleep(0.2)
        self.assertEqual(status, 200)
        self.assertTrue(srv.alive())
        self.check_acked(srv, acked)


if __name__ == "__main__":
    main()

"""Acknowledged writes survive SIGKILL: writers run concurrently, the
server is killed mid-stream, restarted and unsealed, and every write that
got a 2xx must be there (perf-security.md part C)."""

import random
import sqlite3
import threading
import time

from harness import ServerTest, main

WRITERS = 8
KEYS_PER_WRITER = 5
ROUNDS = 4


class CrashDurability(ServerTest):
    def setup_server(self):
        srv = self.server().start()
        init = srv.client().sys.initialize(secret_shares=1,
                                           secret_threshold=1)
        srv.root_token = init["root_token"]
        srv.unseal_key = init["keys"][0]
        srv.client().sys.submit_unseal_key(srv.unseal_key)
        c = srv.client()
        c.sys.enable_secrets_engine("kv", path="secret",
                                    options={"version": "2"})
        c.sys.enable_secrets_engine("kv", path="kv1")
        return srv

    def writer(self, srv, wid, acked, stop):
        seq = 0
        while not stop.is_set():
            seq += 1
            key = "w%d/k%d" % (wid, seq % KEYS_PER_WRITER)
            mount = "/v1/secret/data/" if seq % 2 else "/v1/kv1/"
            body = ({"data": {"seq": seq}} if seq % 2 else {"seq": seq})
            try:
                status, _ = srv.request("PUT", mount + key, body)
            except OSError:
                return  # the server is gone
            if status in (200, 204):
                acked[(mount, key)] = seq

    def read_seq(self, srv, mount, key):
        status, body = srv.request("GET", mount + key)
        self.assertEqual(status, 200, (mount, key, body))
        data = body["data"]["data"] if "secret" in mount else body["data"]
        return int(data["seq"])

    def test_kill_during_writes(self):
        srv = self.setup_server()
        for rnd in range(ROUNDS):
            acked, stop = {}, threading.Event()
            threads = [threading.Thread(target=self.writer,
                                        args=(srv, w, acked, stop))
                       for w in range(WRITERS)]
            for t in threads:
                t.start()
            time.sleep(random.uniform(0.5, 1.5))
            srv.kill()
            stop.set()
            for t in threads:
                t.join()
            self.assertGreater(len(acked), 0, "no write was acknowledged")

            db = sqlite3.connect(srv.db_path)
            self.assertEqual(
                db.execute("PRAGMA integrity_check").fetchone(), ("ok",))
            db.close()

            srv.start()
            srv.client().sys.submit_unseal_key(srv.unseal_key)
            for (mount, key), seq in acked.items():
                got = self.read_seq(srv, mount, key)
                # An unacknowledged later write may have landed too.
                self.assertGreaterEqual(got, seq, (rnd, mount, key))


if __name__ == "__main__":
    main()

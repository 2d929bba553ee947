"""Storage and process faults (perf-security.md B4, cases 64-76): a second
server on the same file, a full disk, fsync failing, SIGTERM under load,
and many seal/unseal cycles."""

import os
import shutil
import subprocess
import threading
import time

from harness import BIN, Server, ServerTest, main


def init_unseal(srv):
    init = srv.client().sys.initialize(secret_shares=1, secret_threshold=1)
    srv.root_token = init["root_token"]
    srv.unseal_key = init["keys"][0]
    srv.client().sys.submit_unseal_key(srv.unseal_key)
    return srv


class StorageFaults(ServerTest):
    def test_second_server_on_same_file_refused(self):
        srv = init_unseal(self.server().start())
        twin = self.server()
        twin.config_path = srv.config_path.replace(srv.dir, twin.dir)
        with open(srv.config_path) as f:
            text = f.read().replace(str(srv.port), str(twin.port))
        with open(twin.config_path, "w") as f:
            f.write(text)
        p = subprocess.run([BIN, "server", "-config=" + twin.config_path],
                           capture_output=True, timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn(b"in use", p.stderr)
        # The first server is unharmed.
        status, _ = srv.request("GET", "/v1/sys/mounts")
        self.assertEqual(status, 200)

    def test_disk_full_then_recovery(self):
        mnt = os.path.join(self.server().dir, "small")
        os.mkdir(mnt)
        if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=4m", "tmpfs",
                           mnt], capture_output=True).returncode != 0:
            self.skipTest("mounting a tmpfs needs root")
        self.addCleanup(subprocess.run, ["umount", "-l", mnt])
        db = os.path.join(mnt, "coffer.db")
        srv = init_unseal(self.server(
            storage='storage "sqlite" { path = "%s" }' % db).start())
        srv.db_path = db
        c = srv.client()
        c.sys.enable_secrets_engine("kv", path="kv")
        c.write("kv/keep", v="before the disk filled")

        # Fill the disk with a file of our own, then write until refused.
        filler = os.path.join(mnt, "filler")
        with open(filler, "wb") as f:
            try:
                while True:
                    f.write(b"\0" * 65536)
                    f.flush()
            except OSError:
                pass
        refused = None
        for i in range(200):
            status, body = srv.request("PUT", "/v1/kv/big%d" % i,
                                       {"v": "x" * 20000})
            if status >= 500:
                refused = (status, body)
                break
        self.assertIsNotNone(refused, "writes never failed on a full disk")
        self.assertIn("errors", refused[1])
        # Reads keep working while the disk is full.
        self.assertEqual(c.read("kv/keep")["data"]["v"],
                         "before the disk filled")

        os.remove(filler)
        status, _ = srv.request("PUT", "/v1/kv/after", {"v": "recovered"})
        self.assertEqual(status, 204)
        srv.restart()
        srv.client().sys.submit_unseal_key(srv.unseal_key)
        self.assertEqual(srv.client().read("kv/after")["data"]["v"],
                         "recovered")

    def test_fsync_failure_stops_writes(self):
        if shutil.which("fiu-run") is None:
            self.skipTest("fiu-utils is not installed")
        if os.environ.get("COFFER_SANITIZE") == "1":
            # Both replace libc functions in the same process and crash
            # each other; the plain build runs this test.
            self.skipTest("fiu's preload cannot share a process with ASan")
        srv = self.server()
        ctl = os.path.join(srv.dir, "fiu")
        orig = srv.start

        def start_under_fiu(wait=True):
            args = ["fiu-run", "-x", "-f", ctl, BIN, "server",
                    "-config=%s" % srv.config_path]
            srv.log = open(srv.log_path, "ab")
            srv.proc = subprocess.Popen(args, stdout=srv.log,
                                        stderr=subprocess.STDOUT)
            if wait:
                srv.wait_ready()
            return srv
        srv.start = start_under_fiu
        init_unseal(srv.start())
        c = srv.client()
        c.sys.enable_secrets_engine("kv", path="kv")
        c.write("kv/a", v="1")

        subprocess.run(["fiu-ctrl", "-f", ctl, "-c",
                        "enable name=posix/io/sync/*", str(srv.proc.pid)],
                       check=True)
        status, body = srv.request("PUT", "/v1/kv/b", {"v": "2"})
        self.assertGreaterEqual(status, 500, body)
        subprocess.run(["fiu-ctrl", "-f", ctl, "-c",
                        "disable name=posix/io/sync/*", str(srv.proc.pid)],
                       check=True)
        # Once fsync has failed the server does not trust the disk again
        # until a restart, but it still serves reads.
        status, body = srv.request("PUT", "/v1/kv/c", {"v": "3"})
        self.assertGreaterEqual(status, 500, body)
        self.assertEqual(c.read("kv/a")["data"]["v"], "1")
        srv.start = orig
        srv.restart()
        srv.client().sys.submit_unseal_key(srv.unseal_key)
        c = srv.client()
        self.assertEqual(c.read("kv/a")["data"]["v"], "1")
        c.write("kv/d", v="4")
        self.assertEqual(c.read("kv/d")["data"]["v"], "4")

    def test_sigterm_under_load(self):
        srv = init_unseal(self.server().start())
        c = srv.client()
        c.sys.enable_secrets_engine("kv", path="kv")
        acked, stop = {}, threading.Event()

        def writer(n):
            i = 0
            while not stop.is_set():
                i += 1
                try:
                    status, _ = srv.request("PUT", "/v1/kv/t%d" % n,
                                            {"i": i})
                except OSError:
                    return
                if status == 204:
                    acked[n] = i
        threads = [threading.Thread(target=writer, args=(n,))
                   for n in range(6)]
        for t in threads:
            t.start()
        time.sleep(0.5)
        code = srv.stop()
        stop.set()
        for t in threads:
            t.join()
        self.assertEqual(code, 0, srv.read_log())
        srv.start()
        srv.client().sys.submit_unseal_key(srv.unseal_key)
        for n, i in acked.items():
            self.assertGreaterEqual(srv.client().read("kv/t%d" % n)
                                    ["data"]["i"], i)

    def test_many_seal_unseal_cycles(self):
        srv = init_unseal(self.server().start())
        c = srv.client()
        c.sys.enable_secrets_engine("kv", path="kv")
        c.write("kv/x", v="stays")
        for _ in range(100):
            c.sys.seal()
            status, _ = srv.request("GET", "/v1/kv/x")
            self.assertEqual(status, 503)
            c.sys.submit_unseal_key(srv.unseal_key)
        self.assertEqual(c.read("kv/x")["data"]["v"], "stays")


if __name__ == "__main__":
    main()

"""High availability: three Coffer servers on one PostgreSQL (started for
the test by pgtest.py). One is active, the others stand by, answer 429 on
sys/health and redirect API requests with 307; SIGKILL of the active
hands over within 10 s with nothing acknowledged lost and leases still
expiring on time; a lock taken away by hand stops the old active's writes
at once; sys/step-down hands over."""

import http.client
import json
import threading
import time
import unittest
import urllib.parse

import pgtest
from harness import ServerTest, main


def raw(srv, method, path, body=None, token=None):
    """One request that does not follow redirects: (status, headers,
    parsed body or None)."""
    u = urllib.parse.urlparse(srv.addr)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    headers = {}
    if token:
        headers["X-Vault-Token"] = token
    data = json.dumps(body).encode() if body is not None else None
    try:
        conn.request(method, path, body=data, headers=headers)
        r = conn.getresponse()
        text = r.read()
        parsed = None
        if text:
            try:
                parsed = json.loads(text)
            except ValueError:
                parsed = text
        return r.status, dict(r.getheaders()), parsed
    finally:
        conn.close()


@unittest.skipUnless(pgtest.available(), "PostgreSQL is not installed")
class HighAvailability(ServerTest):
    @classmethod
    def setUpClass(cls):
        cls.pg = pgtest.Postgres().init()

    @classmethod
    def tearDownClass(cls):
        cls.pg.cleanup()

    def cluster(self, name, n):
        """n servers sharing tables <name> and <name>_ha; the first is
        initialised. Returns them all, started, none unsealed."""
        self.table = name
        storage = ('storage "postgresql" {\n  connection_url = "%s"\n'
                   '  table = "%s"\n  ha_table = "%s_ha"\n'
                   '  ha_enabled = "true"\n  connect_timeout = 2\n'
                   '  statement_timeout = 5000\n}'
                   % (self.pg.url, name, name))
        servers = []
        for _ in range(n):
            srv = self.server(storage=storage)
            with open(srv.config_path, "a") as f:
                f.write('api_addr = "%s"\n' % srv.addr)
            servers.append(srv.start())
        init = servers[0].client().sys.initialize(secret_shares=1,
                                                  secret_threshold=1)
        for srv in servers:
            srv.root_token = init["root_token"]
            srv.unseal_key = init["keys"][0]
        return servers

    def unseal(self, srv):
        srv.client().sys.submit_unseal_key(srv.unseal_key)

    def health(self, srv):
        try:
            return raw(srv, "GET", "/v1/sys/health")[0]
        except OSError:
            return None

    def wait_active(self, servers, timeout):
        """The server among servers that turns active within timeout."""
        deadline = time.time() + timeout
        while time.time() < deadline:
            for srv in servers:
                if srv.alive() and self.health(srv) == 200:
                    return srv
            time.sleep(0.1)
        self.fail("no server became active within %ss" % timeout)

    def wait_health(self, srv, status, timeout=10):
        deadline = time.time() + timeout
        while time.time() < deadline:
            if self.health(srv) == status:
                return
            time.sleep(0.1)
        self.fail("health of %s did not turn %d" % (srv.addr, status))

    def wait_leader(self, srv, active):
        """Standbys learn the new active within a second or two."""
        deadline = time.time() + 5
        while time.time() < deadline:
            lead = raw(srv, "GET", "/v1/sys/leader")[2]
            if lead["leader_address"] == active.addr:
                return
            time.sleep(0.2)
        self.assertEqual(lead["leader_address"], active.addr)

    def start_cluster(self, name, n):
        servers = self.cluster(name, n)
        self.unseal(servers[0])
        active = self.wait_active(servers[:1], 10)
        for srv in servers[1:]:
            self.unseal(srv)
            self.wait_health(srv, 429)
            self.wait_leader(srv, active)
        active.client().sys.enable_secrets_engine(
            "kv", path="secret", options={"version": "2"})
        return servers

    def test_standbys_redirect_and_report(self):
        s1, s2, s3 = self.start_cluster("redirect", 3)

        # sys/leader and sys/health tell who is active.
        _, _, lead = raw(s2, "GET", "/v1/sys/leader")
        self.assertTrue(lead["ha_enabled"])
        self.assertFalse(lead["is_self"])
        self.assertEqual(lead["leader_address"], s1.addr)
        _, _, lead = raw(s1, "GET", "/v1/sys/leader")
        self.assertTrue(lead["is_self"])
        status, _, body = raw(s3, "GET", "/v1/sys/health")
        self.assertEqual(status, 429)
        self.assertTrue(body["standby"])
        self.assertFalse(body["sealed"])
        self.assertEqual(raw(s3, "GET",
                             "/v1/sys/health?standbyok=true")[0], 200)
        self.assertFalse(raw(s2, "GET", "/v1/sys/seal-status")[2]["sealed"])

        # A standby redirects to the same path on the active.
        status, headers, _ = raw(s2, "PUT", "/v1/secret/data/app?x=1",
                                 {"data": {"a": 1}}, s2.root_token)
        self.assertEqual(status, 307)
        self.assertEqual(headers["Location"],
                         s1.addr + "/v1/secret/data/app?x=1")

        # Clients follow it: writes through any server land, reads from
        # any server see them.
        for i, srv in enumerate((s1, s2, s3)):
            srv.client().secrets.kv.v2.create_or_update_secret(
                "via%d" % i, {"n": i})
        for srv in (s1, s2, s3):
            for i in range(3):
                got = srv.client().secrets.kv.v2.read_secret_version(
                    "via%d" % i)
                self.assertEqual(got["data"]["data"], {"n": i})

    def test_failover_after_sigkill(self):
        s1, s2, s3 = self.start_cluster("failover", 3)
        c = s1.client()
        made = time.time()
        short = c.create_token(ttl="8s", policies=["default"])
        short_tok = short["auth"]["client_token"]
        long_tok = c.create_token(ttl="1h")["auth"]["client_token"]

        acked, stop = {}, threading.Event()

        def writer(wid):
            seq = 0
            while not stop.is_set():
                seq += 1
                key = "w%d/k%d" % (wid, seq % 3)
                try:
                    status, _ = s1.request("PUT", "/v1/secret/data/" + key,
                                           {"data": {"seq": seq}})
                except OSError:
                    return
                if status in (200, 204):
                    acked[key] = seq

        threads = [threading.Thread(target=writer, args=(w,))
                   for w in range(4)]
        for t in threads:
            t.start()
        time.sleep(1.5)
        s1.kill()
        killed = time.time()
        stop.set()
        for t in threads:
            t.join()
        self.assertGreater(len(acked), 0)

        active = self.wait_active([s2, s3], 10)
        self.assertLess(time.time() - killed, 10)
        for key, seq in acked.items():
            status, body = active.request("GET", "/v1/secret/data/" + key)
            self.assertEqual(status, 200, key)
            self.assertGreaterEqual(body["data"]["data"]["seq"], seq)

        # The other standby now points at the new active.
        self.wait_leader(s3 if active is s2 else s2, active)

        # Leases carried over: the long token works, the short one ends
        # on time: 8 s after it was made, less the rounding of creation
        # times to whole seconds, and not long after.
        status, _ = active.request("GET", "/v1/auth/token/lookup-self",
                                   token=long_tok)
        self.assertEqual(status, 200)
        while time.time() < made + 20:
            status, _ = active.request("GET", "/v1/auth/token/lookup-self",
                                       token=short_tok)
            if status == 403:
                break
            time.sleep(0.25)
        self.assertEqual(status, 403)
        self.assertGreaterEqual(time.time() - made, 7)

    def test_stolen_lock_fences_the_active(self):
        s1, s2 = self.start_cluster("stolen", 2)
        c = s1.client()
        c.secrets.kv.v2.create_or_update_secret("before", {"v": 1})
        count = self.pg.psql("coffer", "SELECT count(*) FROM stolen")

        self.pg.psql("coffer",
                     "UPDATE stolen_ha SET ha_identity = 'thief', "
                     "ha_value = 'http://127.0.0.1:1', valid_until = "
                     "now() + interval '1 hour'")

        # The very next write is refused, and nothing of it lands.
        status, _, _ = raw(s1, "PUT", "/v1/secret/data/after",
                           {"data": {"v": 2}}, s1.root_token)
        self.assertIn(status, (503, 307))
        self.assertEqual(
            self.pg.psql("coffer", "SELECT count(*) FROM stolen"), count)

        # The old active steps down; nobody is active while the thief
        # holds the lock, and the standbys redirect to the thief.
        self.wait_health(s1, 429, timeout=5)
        lead = raw(s1, "GET", "/v1/sys/leader")[2]
        self.assertFalse(lead["is_self"])
        self.assertEqual(self.health(s2), 429)

        # The thief goes away: a server takes over with the data intact.
        self.pg.psql("coffer", "DELETE FROM stolen_ha")
        active = self.wait_active([s1, s2], 10)
        got = active.client().secrets.kv.v2.read_secret_version("before")
        self.assertEqual(got["data"]["data"], {"v": 1})

    def test_step_down(self):
        s1, s2 = self.start_cluster("stepdown", 2)
        status, _, _ = raw(s1, "PUT", "/v1/sys/step-down", None,
                           s1.root_token)
        self.assertEqual(status, 204)
        self.assertIs(self.wait_active([s2], 10), s2)
        self.assertEqual(self.health(s1), 429)
        self.wait_leader(s1, s2)

        # Without a token, step-down is refused.
        self.assertEqual(raw(s2, "PUT", "/v1/sys/step-down")[0], 403)


if __name__ == "__main__":
    main()

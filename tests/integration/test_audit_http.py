"""The http audit device against an HTTP receiver started by the test: each
collector format, the auth header, and delivery that loses nothing when the
receiver is down, when the server restarts meanwhile, and when the spool
fills up."""

import json
import os
import shutil
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from harness import ServerTest, free_port, main

ROOT = "root-CANARY-TOKEN-http"
CANARY = "http-CANARY-value-77aa"


class Receiver:
    """Collects POSTed bodies; can be stopped and started on its port."""

    def __init__(self, port=None):
        self.port = port or free_port()
        self.posts = []
        self.lock = threading.Lock()
        self.server = None

    def start(self):
        recv = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length", "0"))
                body = self.rfile.read(n)
                with recv.lock:
                    recv.posts.append((self.path, dict(self.headers), body))
                self.send_response(200)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *a):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever,
                         daemon=True).start()
        return self

    def stop(self):
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def url(self, path="/ingest"):
        return "http://127.0.0.1:%d%s" % (self.port, path)


def decode(fmt, body):
    """The audit records inside one POST body of format fmt."""
    text = body.decode()
    if fmt == "json":
        return json.loads(text)
    if fmt == "datadog":
        items = json.loads(text)
        assert all(i["ddsource"] == "coffer" for i in items)
        return [i["message"] for i in items]
    lines = [l for l in text.split("\n") if l]
    if fmt == "splunk_hec":
        events = [json.loads(l) for l in lines]
        assert all(e["sourcetype"] == "coffer:audit" for e in events)
        return [e["event"] for e in events]
    assert fmt == "elasticsearch"
    actions, docs = lines[0::2], lines[1::2]
    assert all(json.loads(a) == {"index": {"_index": "audit-it"}}
               for a in actions)
    return [json.loads(d) for d in docs]


def wait_for(cond, timeout=20):
    deadline = time.time() + timeout
    while time.time() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return False


class AuditHttp(ServerTest):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="coffer-audit-http-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.recv = Receiver().start()
        self.addCleanup(lambda: self.recv.stop())

    def enable(self, srv, path, **options):
        options.setdefault("url", self.recv.url())
        options.setdefault("spool_path", os.path.join(self.tmp, path))
        return srv.request("PUT", "/v1/sys/audit/" + path,
                           {"type": "http", "options": options})

    def received(self, fmt, path=None):
        with self.recv.lock:
            posts = list(self.recv.posts)
        out = []
        for p, headers, body in posts:
            if path is None or p == path:
                out.extend(decode(fmt, body))
        return out

    def test_each_format(self):
        srv = self.server(dev=True, root_token=ROOT).start()
        for fmt in ("json", "splunk_hec", "elasticsearch", "datadog"):
            status, body = self.enable(
                srv, fmt, url=self.recv.url("/" + fmt), http_format=fmt,
                index="audit-it", batch_size="3",
                auth_header="Authorization: Splunk hec-" + fmt)
            self.assertEqual(status, 204, body)
        c = srv.client()
        c.secrets.kv.v2.create_or_update_secret(
            path="app", secret={"password": CANARY}, mount_point="secret")
        c.secrets.kv.v2.read_secret_version(path="app", mount_point="secret")
        for fmt in ("json", "splunk_hec", "elasticsearch", "datadog"):
            def got_kv():
                return sum(1 for r in self.received(fmt, "/" + fmt)
                           if r["request"]["path"] == "secret/data/app") == 4
            self.assertTrue(wait_for(got_kv), fmt)
            recs = self.received(fmt, "/" + fmt)
            h = srv.request("PUT", "/v1/sys/audit-hash/" + fmt,
                            {"input": CANARY})[1]["hash"]
            self.assertIn(h, json.dumps(recs))
        with self.recv.lock:
            posts = list(self.recv.posts)
        for p, headers, body in posts:
            self.assertNotIn(CANARY.encode(), body)
            self.assertEqual(headers["Authorization"], "Splunk hec" + p.replace("/", "-"))
            self.assertEqual(headers["Content-Type"],
                             "application/x-ndjson" if p == "/elasticsearch"
                             else "application/json")
        # batch_size bounds each POST.
        self.assertTrue(all(len(decode(p[1:], b)) <= 3 for p, _, b in posts))
        listed = srv.client().sys.list_enabled_audit_devices()["data"]
        self.assertEqual(listed["json/"]["options"]["auth_header"],
                         "(redacted)")

    def test_outage_and_restart_lose_nothing(self):
        srv = self.server()
        srv.start()
        init = srv.client().sys.initialize(secret_shares=1,
                                           secret_threshold=1)
        srv.root_token = init["root_token"]
        srv.client().sys.submit_unseal_key(init["keys"][0])
        self.assertEqual(self.enable(srv, "fwd", max_backoff="1s")[0], 204)
        log = os.path.join(self.tmp, "ref.log")
        self.assertEqual(srv.request("PUT", "/v1/sys/audit/ref", {
            "type": "file", "options": {"file_path": log}})[0], 204)

        c = srv.client()
        c.sys.enable_secrets_engine("kv", path="kv")
        for i in range(5):
            c.write("kv/before%d" % i, value=CANARY)
        self.recv.stop()
        for i in range(20):
            self.assertEqual(
                srv.request("PUT", "/v1/kv/during%d" % i,
                            {"value": CANARY})[0], 204)

        # The server restarts while the receiver is still away.
        srv.restart()
        srv.client().sys.submit_unseal_key(init["keys"][0])
        for i in range(5):
            srv.client().write("kv/after%d" % i, value=CANARY)
        time.sleep(1.5)
        self.recv.start()

        with open(log) as f:
            ref = [(r["type"], r["request"]["id"])
                   for r in map(json.loads, f)]

        def complete():
            got = [(r["type"], r["request"]["id"])
                   for r in self.received("json")]
            return ref[-1] in got
        self.assertTrue(wait_for(complete, 30))
        got = [(r["type"], r["request"]["id"]) for r in self.received("json")]
        start = got.index(ref[0])
        self.assertEqual(got[start:], ref)  # each once, in order
        self.assertEqual(len(set(got)), len(got))
        self.assertTrue(wait_for(lambda: os.path.getsize(
            os.path.join(self.tmp, "fwd")) == 0))

    def test_full_spool_fails_closed_then_drains(self):
        srv = self.server(dev=True, root_token=ROOT).start()
        self.recv.stop()
        self.assertEqual(self.enable(srv, "fwd", spool_max_bytes="8192",
                                     max_backoff="1s")[0], 204)
        statuses = [srv.request("GET", "/v1/sys/mounts")[0]
                    for _ in range(20)]
        self.assertIn(500, statuses)
        self.assertEqual(statuses[0], 200)
        status, body = srv.request("GET", "/v1/sys/mounts")
        self.assertIn("audit failure", body["errors"][0])

        self.recv.start()
        self.assertTrue(wait_for(
            lambda: srv.request("GET", "/v1/sys/mounts")[0] == 200))

    def test_bad_options(self):
        srv = self.server(dev=True, root_token=ROOT).start()
        for opts, why in [
                ({"url": "ftp://x/"}, "url"),
                ({"url": "file:///etc/passwd"}, "url"),
                ({"http_format": "xml"}, "http_format"),
                ({"spool_path": "rel"}, "spool_path"),
                ({"spool_path": "/usr/lib/spool"}, "system folder"),
                ({"auth_header": "no colon"}, "auth_header"),
                ({"auth_header": "A: b\r\nX-Injected: 1"}, "auth_header"),
                ({"batch_size": "0"}, "batch_size"),
                ({"nosuch": "1"}, "unknown option")]:
            status, body = self.enable(srv, "bad", **opts)
            self.assertEqual(status, 400, (opts, body))
            self.assertIn(why, body["errors"][0])


if __name__ == "__main__":
    main()

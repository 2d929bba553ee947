"""Requests refused before they are routed still leave a request and a
response record, with the error and without the body: a body that is not
JSON or holds a key twice, a body over the size limit (by Content-Length
and chunked), an unknown namespace, a bad header, ?help, a PATCH without
its content type. While sealed nothing can be recorded (the devices and
their salts are behind the barrier), and nothing is."""

import json
import os
import shutil
import socket
import tempfile

from harness import ServerTest, main

CANARY = "refused-CANARY-value-5a0c"
LIMIT = 4096


def records(path):
    if not os.path.exists(path):
        return []
    with open(path, "rb") as f:
        return [json.loads(line) for line in f.read().splitlines()]


class AuditRefused(ServerTest):
    def setUp(self):
        super().setUp()
        self.tmp = tempfile.mkdtemp(prefix="coffer-audit-refused-")
        self.addCleanup(shutil.rmtree, self.tmp, True)
        self.log = os.path.join(self.tmp, "audit.log")
        srv = self.server(config_extra="max_request_size = %d" % LIMIT)
        srv.start()
        init = srv.client().sys.initialize(secret_shares=1,
                                           secret_threshold=1)
        srv.root_token = init["root_token"]
        self.key = init["keys"][0]
        srv.client().sys.submit_unseal_key(self.key)
        self.srv = srv
        status, body = srv.request("PUT", "/v1/sys/audit/file", {
            "type": "file", "options": {"file_path": self.log}})
        self.assertEqual(status, 204, body)

    def raw(self, head, body=b""):
        """Sends bytes as they are; returns the status of the answer."""
        with socket.create_connection(("127.0.0.1", self.srv.port),
                                      timeout=10) as s:
            s.sendall(head + body)
            got = b""
            while b"\r\n" not in got:
                chunk = s.recv(4096)
                if not chunk:
                    break
                got += chunk
        return int(got.split(b" ")[1])

    def pair(self, path, **match):
        """The request and response records of the one request to path."""
        recs = [r for r in records(self.log)
                if r["request"]["path"] == path and
                all(r["request"].get(k) == v for k, v in match.items())]
        self.assertEqual([r["type"] for r in recs], ["request", "response"],
                         path)
        req, resp = recs
        self.assertEqual(req["request"]["id"], resp["request"]["id"])
        self.assertEqual(req["error"], "")
        self.assertNotIn("data", req["request"])
        return req, resp

    def hash(self, value):
        return self.srv.request("PUT", "/v1/sys/audit-hash/file",
                                {"input": value})[1]["hash"]

    def assert_no_canary(self):
        with open(self.log, "rb") as f:
            raw = f.read()
        self.assertNotIn(CANARY.encode(), raw)
        self.assertNotIn(self.srv.root_token.encode(), raw)

    def test_bodies_that_are_not_json(self):
        bad = ('{"data": {"password": "%s"' % CANARY).encode()
        status, body = self.srv.request("PUT", "/v1/secret/data/trunc",
                                        raw=bad)
        self.assertEqual(status, 400)
        dup = ('{"password": "%s", "password": "b"}' % CANARY).encode()
        status, _ = self.srv.request("PUT", "/v1/kv/dup", raw=dup)
        self.assertEqual(status, 400)
        status, _ = self.srv.request("PUT", "/v1/kv/list", raw=b'["%s"]'
                                     % CANARY.encode())
        self.assertEqual(status, 400)

        req, resp = self.pair("secret/data/trunc")
        self.assertEqual(req["request"]["operation"], "update")
        self.assertEqual(req["request"]["client_token"],
                         self.hash(self.srv.root_token))
        self.assertEqual(req["request"]["remote_address"], "127.0.0.1")
        self.assertIn("failed to parse JSON input", resp["error"])
        self.assertNotIn("data", resp.get("response", {}))
        for path in ("kv/dup", "kv/list"):
            _, resp = self.pair(path)
            self.assertIn("failed to parse JSON input", resp["error"])
        self.assert_no_canary()

    def test_bodies_over_the_limit(self):
        body = (CANARY * (2 * LIMIT // len(CANARY))).encode()
        head = ("PUT /v1/secret/data/big HTTP/1.1\r\nHost: x\r\n"
                "X-Vault-Token: %s\r\nContent-Length: %d\r\n\r\n"
                % (self.srv.root_token, len(body))).encode()
        self.assertEqual(self.raw(head, body), 413)
        _, resp = self.pair("secret/data/big")
        self.assertIn("request body too large", resp["error"])

        chunked = b"".join(b"%x\r\n%s\r\n" % (len(body[i:i + 1000]),
                                               body[i:i + 1000])
                           for i in range(0, len(body), 1000)) + b"0\r\n\r\n"
        head = ("POST /v1/secret/data/chunked HTTP/1.1\r\nHost: x\r\n"
                "X-Vault-Token: %s\r\nTransfer-Encoding: chunked\r\n\r\n"
                % self.srv.root_token).encode()
        self.assertEqual(self.raw(head, chunked), 413)
        req, resp = self.pair("secret/data/chunked")
        self.assertEqual(req["request"]["client_token"],
                         self.hash(self.srv.root_token))
        self.assertIn("too large", resp["error"])
        self.assert_no_canary()
        # The server goes on serving, and recording.
        self.assertEqual(self.srv.request("GET", "/v1/sys/mounts")[0], 200)
        self.pair("sys/mounts")

    def test_unknown_namespace_bad_headers_and_queries(self):
        status, body = self.srv.request(
            "GET", "/v1/secret/data/x", headers={"X-Vault-Namespace": "nosuch"})
        self.assertEqual(status, 404)
        req, resp = self.pair("secret/data/x")
        self.assertEqual(req["request"]["namespace"],
                         {"id": "", "path": "nosuch/"})
        self.assertIn("namespace not found", resp["error"])

        status, _ = self.srv.request("GET", "/v1/sys/mounts",
                                     headers={"X-Vault-Wrap-TTL": "soon"})
        self.assertEqual(status, 400)
        _, resp = self.pair("sys/mounts")
        self.assertIn("invalid wrap TTL", resp["error"])

        status, _ = self.srv.request("GET", "/v1/sys/policy?help=1")
        self.assertEqual(status, 400)
        _, resp = self.pair("sys/policy")
        self.assertIn("help is not supported", resp["error"])
        status, _ = self.srv.request(
            "PATCH", "/v1/secret/data/p",
            raw=('{"data": {"k": "%s"}}' % CANARY).encode(),
            headers={"Content-Type": "application/json"})
        self.assertEqual(status, 415)
        req, resp = self.pair("secret/data/p")
        self.assertEqual(req["request"]["operation"], "patch")
        self.assertIn("merge-patch", resp["error"])

        head = ("GET /v1/sys/auth HTTP/1.1\r\nHost: x\r\n"
                "X-Vault-Token: %s\r\nX-Vault-Token: other-%s\r\n\r\n"
                % (CANARY, CANARY)).encode()
        self.assertEqual(self.raw(head), 400)
        req, resp = self.pair("sys/auth")
        self.assertIn("more than one token", resp["error"])
        self.assert_no_canary()

    def test_nothing_is_recorded_while_sealed(self):
        self.srv.client().sys.seal()
        status, body = self.srv.request("GET", "/v1/secret/data/sealed")
        self.assertEqual(status, 503)
        status, _ = self.srv.request("PUT", "/v1/secret/data/sealed2",
                                     raw=b"{\"broken")
        self.assertEqual(status, 400)
        self.srv.client().sys.submit_unseal_key(self.key)
        self.srv.request("GET", "/v1/secret/data/after")
        paths = [r["request"]["path"] for r in records(self.log)]
        self.assertNotIn("secret/data/sealed", paths)
        self.assertNotIn("secret/data/sealed2", paths)
        self.pair("secret/data/after")


if __name__ == "__main__":
    main()

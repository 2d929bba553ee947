"""Bad input gets a clear 4xx in Vault's error format and the server stays
up: malformed JSON, wrong types, oversized bodies, odd paths, broken HTTP
framing, slow clients, and bad configuration files."""

import json
import os
import socket
import subprocess
import time

from harness import BIN, ServerTest, main


def raw_exchange(port, data, timeout=5):
    """Sends raw bytes and returns what the server answered until close."""
    with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
        s.sendall(data)
        s.shutdown(socket.SHUT_WR)
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except socket.timeout:
            pass
    return out


def status_of(answer):
    line = answer.split(b"\r\n", 1)[0].decode("latin-1")
    return int(line.split()[1]) if line.startswith("HTTP/1.") else None


class BadInput(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, config_extra="").start()

    def assert_error(self, status, body, code):
        self.assertEqual(status, code, body)
        self.assertIsInstance(body, dict)
        self.assertIsInstance(body.get("errors"), list)

    def test_malformed_json(self):
        for raw in (b"{", b"[1,2]", b"\"str\"", b"{\"a\":}", b"\xff\xfe",
                    b"{" * 1000 + b"}" * 1000):
            status, body = self.srv.request("PUT", "/v1/secret/data/x",
                                            raw=raw)
            self.assert_error(status, body, 400)
            self.assertTrue(body["errors"], raw)
        self.assertTrue(self.srv.alive())

    def test_wrong_types(self):
        cases = [
            ("/v1/sys/mounts/x", {"type": 5}),
            ("/v1/sys/mounts/x", {"type": "kv", "options": [1]}),
            ("/v1/sys/mounts/x", {"type": "kv",
                                  "config": {"max_lease_ttl": "soon"}}),
            ("/v1/sys/mounts/x", {"type": "no-such-engine"}),
            ("/v1/sys/tools/random", {"bytes": "many"}),
            ("/v1/sys/tools/random", {"bytes": 10 ** 9}),
            ("/v1/sys/tools/hash", {"input": "not base64!"}),
            ("/v1/sys/tools/hash/md4", {"input": "aGk="}),
            ("/v1/secret/data/x", {"data": "not an object"}),
        ]
        for path, body in cases:
            status, answer = self.srv.request("POST", path, body)
            self.assert_error(status, answer, 400)
            self.assertTrue(answer["errors"], (path, body))
        self.assertTrue(self.srv.alive())

    def test_unknown_paths_and_methods(self):
        status, body = self.srv.request("GET", "/v1/nothing/here")
        self.assert_error(status, body, 404)
        self.assertIn("no handler for route", body["errors"][0])
        status, body = self.srv.request("GET", "/v2/sys/health")
        self.assertEqual(status, 404)
        status, body = self.srv.request("BREW", "/v1/sys/mounts")
        self.assertEqual(status, 405)
        status, body = self.srv.request("PATCH", "/v1/secret/data/x",
                                        {"data": {"a": 1}})
        self.assertEqual(status, 415)

    def test_traversal_and_double_slash(self):
        c = self.srv.client()
        c.secrets.kv.v2.create_or_update_secret(
            path="a/b", secret={"v": "1"}, mount_point="secret")
        # "//" collapses, so this is secret/data/a/b.
        status, body = self.srv.request("GET", "/v1/secret//data//a//b")
        self.assertEqual(status, 200, body)
        self.assertEqual(body["data"]["data"], {"v": "1"})
        for path in ("/v1/secret/data/a/../b", "/v1/secret/data/./a/b",
                     "/v1/secret/data/a/%2e%2e/b", "/v1/sys/../secret/x",
                     "/v1/secret/data/a%00b", "/v1/secret/data/%zz"):
            raw = raw_exchange(self.srv.port, (
                "GET %s HTTP/1.1\r\nHost: x\r\nX-Vault-Token: root\r\n"
                "Connection: close\r\n\r\n" % path).encode())
            self.assertEqual(status_of(raw), 400, (path, raw))
        self.assertTrue(self.srv.alive())

    def test_framing(self):
        port = self.srv.port
        cases = [
            (b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nContent-Length: 5"
             b"\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400),
            (b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\nContent-Length: 1"
             b"\r\nContent-Length: 2\r\n\r\nab", 400),
            (b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n folded: y\r\n\r\n",
             400),
            (b"GET /v1/sys/health HTTP/9.9\r\nHost: x\r\n\r\n", 505),
            (b"GET /v1/sys/health HTTP/1.1\r\nX: " + b"a" * 70000 +
             b"\r\n\r\n", 431),
            (b"PUT /v1/secret/data/x HTTP/1.1\r\nHost: x\r\n"
             b"Transfer-Encoding: gzip\r\n\r\n", 501),
            (b"PUT /v1/secret/data/x HTTP/1.1\r\nHost: x\r\n"
             b"Content-Length: -1\r\n\r\n", 400),
        ]
        for data, code in cases:
            self.assertEqual(status_of(raw_exchange(port, data)), code, data)

        # A TLS hello on the plain port is not HTTP: refused or dropped.
        answer = raw_exchange(port, b"\x16\x03\x01\x02\x00\x01\x00\x01"
                              b"\xfc\x03\x03" + b"\x00" * 100)
        self.assertIn(status_of(answer), (None, 400))

        # A truncated request: the client gives up mid-body.
        answer = raw_exchange(port, b"PUT /v1/secret/data/x HTTP/1.1\r\n"
                              b"Host: x\r\nContent-Length: 100\r\n\r\n{\"a")
        self.assertNotIn(b"200 OK", answer)
        # And nothing of it was written.
        status, _ = self.srv.request("GET", "/v1/secret/data/x")
        self.assertEqual(status, 404)
        self.assertTrue(self.srv.alive())

    def test_body_over_limit(self):
        srv = self.server(config_extra="max_request_size = 1024").start()
        init = srv.client().sys.initialize(secret_shares=1,
                                           secret_threshold=1)
        srv.client().sys.submit_unseal_key(init["keys"][0])
        srv.root_token = init["root_token"]
        status, body = srv.request("PUT", "/v1/sys/mounts/kv",
                                   {"type": "kv", "description": "x" * 2000})
        self.assert_error(status, body, 413)
        # The refused request changed nothing.
        status, body = srv.request("GET", "/v1/sys/mounts")
        self.assertNotIn("kv/", body["data"])
        # A body just under the limit is fine.
        status, body = srv.request("PUT", "/v1/sys/mounts/kv",
                                   {"type": "kv", "description": "x" * 900})
        self.assertEqual(status, 204, body)

    def test_slow_client_does_not_block_others(self):
        port = self.srv.port
        slow = socket.create_connection(("127.0.0.1", port))
        slow.sendall(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n")
        try:
            start = time.time()
            for _ in range(20):
                status, _ = self.srv.request("GET", "/v1/sys/health")
                self.assertEqual(status, 200)
            self.assertLess(time.time() - start, 10)
        finally:
            slow.close()

    def test_bad_config_files(self):
        d = self.srv.dir
        cases = [
            ('storage "sqlite" { path = "%s/x.db" }\nlistener "tcp" {\n'
             '  address = "127.0.0.1:0"\n  tls_disable = true\n'
             '  bogus_key = 1\n}\n' % d, ":5:", "bogus_key"),
            ('storage "sqlite" { path = "%s/x.db" }\n'
             'max_request_size = "lots"\n'
             'listener "tcp" { tls_disable = true }\n' % d, ":2:",
             "max_request_size"),
            ('storage "nosuch" {}\nlistener "tcp" { tls_disable = true }\n',
             ":1:", "nosuch"),
            ('storage "sqlite" { path = "%s/x.db" \n' % d, ":", ""),
            ('listener "tcp" { tls_disable = true }\n', "", "storage"),
        ]
        for text, where, what in cases:
            path = os.path.join(d, "bad.hcl")
            with open(path, "w") as f:
                f.write(text)
            p = subprocess.run([BIN, "server", "-config=" + path],
                               capture_output=True, timeout=20)
            err = p.stderr.decode()
            self.assertNotEqual(p.returncode, 0, text)
            self.assertIn("bad.hcl" + where, err, text)
            self.assertIn(what, err, text)
        p = subprocess.run([BIN, "server", "-config=/nonexistent.hcl"],
                           capture_output=True, timeout=20)
        self.assertNotEqual(p.returncode, 0)
        self.assertIn("nonexistent.hcl", p.stderr.decode())


if __name__ == "__main__":
    main()

"""Tokens that must not work: expired, revoked, used up, malformed and
foreign to the namespace. Each is answered 403 "permission denied" on
every kind of request (perf-security.md B4 31-33), and each write it
attempted left nothing behind, as the root token reads back."""

import socket
import time

import hvac

from harness import ServerTest, main

# Enough to do everything the attempts below try, had the token worked.
ALL = 'path "*" { capabilities = ["create", "read", "update", "delete", ' \
      '"list", "sudo"] }'


class TokenFailures(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True, root_token="root").start()
        self.c = self.srv.client()
        self.c.sys.create_or_update_policy("all", ALL)
        self.c.sys.enable_secrets_engine("kv", path="kv1")
        self.c.secrets.kv.v2.create_or_update_secret(
            path="kept", secret={"v": "original"}, mount_point="secret")
        self.c.write("kv1/kept", v="original")

    def token(self, **kw):
        return self.c.auth.token.create(policies=["all"], **kw)["auth"]

    # The writes a stolen or stale token would try, and how to see that
    # each did not happen.
    ATTEMPTS = [
        ("POST", "secret/data/new", {"data": {"v": "x"}}),
        ("POST", "secret/data/kept", {"data": {"v": "changed"}}),
        ("DELETE", "secret/metadata/kept", None),
        ("PUT", "kv1/new", {"v": "x"}),
        ("PUT", "kv1/kept", {"v": "changed"}),
        ("DELETE", "kv1/kept", None),
        ("PUT", "sys/policy/evil", {"policy": ALL}),
        ("DELETE", "sys/policy/all", None),
        ("POST", "sys/mounts/evil", {"type": "kv"}),
        ("DELETE", "sys/mounts/kv1", None),
        ("POST", "auth/token/create", {"policies": ["all"]}),
        ("POST", "sys/namespaces/evil", None),
        ("PUT", "cubbyhole/evil", {"v": "x"}),
        ("GET", "secret/data/kept", None),
        ("GET", "kv1/kept", None),
        ("LIST", "secret/metadata/", None),
        ("GET", "sys/mounts", None),
        ("GET", "auth/token/lookup-self", None),
    ]

    def assert_refused_everywhere(self, token, ns=None, label=""):
        headers = {"X-Vault-Namespace": ns} if ns else None
        for method, path, body in self.ATTEMPTS:
            status, out = self.srv.request(method, "/v1/" + path, body=body,
                                           token=token, headers=headers)
            self.assertEqual(status, 403, (label, method, path, out))
            self.assertIn("permission denied", out["errors"],
                          (label, path))
            # No echo of the token in the answer.
            if token and len(token) > 8:
                self.assertNotIn(token, str(out))
        self.assert_untouched()

    def assert_untouched(self):
        c = self.c
        got = c.secrets.kv.v2.read_secret_version(path="kept",
                                                  mount_point="secret")
        self.assertEqual(got["data"]["data"], {"v": "original"})
        self.assertEqual(got["data"]["metadata"]["version"], 1)
        status, _ = self.srv.request("GET", "/v1/secret/data/new")
        self.assertEqual(status, 404)
        self.assertEqual(c.read("kv1/kept")["data"], {"v": "original"})
        self.assertIsNone(c.read("kv1/new"))
        self.assertNotIn("evil", c.sys.list_policies()["data"]["policies"])
        self.assertIn("all", c.sys.list_policies()["data"]["policies"])
        mounts = c.sys.list_mounted_secrets_engines()["data"]
        self.assertNotIn("evil/", mounts)
        self.assertIn("kv1/", mounts)
        status, out = self.srv.request("LIST", "/v1/sys/namespaces")
        if status != 404:
            self.assertNotIn("evil/", out["data"]["keys"])

    def accessors(self):
        return set(self.c.auth.token.list_accessors()["data"]["keys"])

    def test_expired(self):
        auth = self.token(ttl="1s")
        time.sleep(1.5)
        before = self.accessors()
        self.assert_refused_everywhere(auth["client_token"], label="expired")
        self.assertLessEqual(self.accessors(), before)

    def test_revoked(self):
        parent = self.token()
        kid = hvac.Client(url=self.srv.addr, token=parent["client_token"]) \
            .auth.token.create(policies=["all"])["auth"]
        self.c.auth.token.revoke(parent["client_token"])
        before = self.accessors()
        for t in (parent, kid):
            self.assert_refused_everywhere(t["client_token"],
                                           label="revoked")
        self.assertEqual(self.accessors(), before)

    def test_revoked_by_accessor_and_self(self):
        a = self.token()
        self.c.auth.token.revoke_accessor(a["accessor"])
        self.assert_refused_everywhere(a["client_token"], label="accessor")
        b = self.token()
        hvac.Client(url=self.srv.addr,
                    token=b["client_token"]).auth.token.revoke_self()
        self.assert_refused_everywhere(b["client_token"], label="self")

    def test_used_up(self):
        auth = self.token(num_uses=2)
        tok = auth["client_token"]
        # Two real uses, then nothing: the third write did not happen.
        status, _ = self.srv.request("PUT", "/v1/kv1/use1", {"v": "1"},
                                     token=tok)
        self.assertEqual(status, 204)
        status, _ = self.srv.request("PUT", "/v1/kv1/use2", {"v": "2"},
                                     token=tok)
        self.assertEqual(status, 204)
        status, _ = self.srv.request("PUT", "/v1/kv1/use3", {"v": "3"},
                                     token=tok)
        self.assertEqual(status, 403)
        self.assertIsNone(self.c.read("kv1/use3"))
        self.assert_refused_everywhere(tok, label="used up")
        # A refused request spends nothing and revives nothing: the token
        # is gone from the store.
        self.assertNotIn(auth["accessor"], self.accessors())

    def test_malformed(self):
        before = self.accessors()
        for bad in ("garbage", "hvs.", "hvs." + "A" * 24, "x" * 5000,
                    "root root", "Root", "ROOT", "root\u00e9",
                    "../root", "hvs.%00", "*"):
            self.assert_refused_everywhere(bad, label=repr(bad[:12]))
        self.assertEqual(self.accessors(), before)
        # No token, an empty one, and an empty bearer.
        for headers in ({}, {"Authorization": "Bearer "},
                        {"X-Vault-Token": ""}):
            status, out = self.srv.request("PUT", "/v1/kv1/anon",
                                           {"v": "x"}, token="",
                                           headers=headers)
            self.assertEqual(status, 403, headers)
        self.assertIsNone(self.c.read("kv1/anon"))

    def test_two_token_headers(self):
        # B4 31: X-Vault-Token wins over Authorization: Bearer; a bad one
        # is not rescued by a good bearer, and the bearer grants nothing
        # more than the X-Vault-Token does.
        limited = self.c.auth.token.create(policies=["default"])["auth"]
        for xvt in ("garbage", limited["client_token"]):
            headers = {"X-Vault-Token": xvt,
                       "Authorization": "Bearer root"}
            for method, path, body in (("PUT", "kv1/new", {"v": "x"}),
                                       ("POST", "sys/mounts/evil",
                                        {"type": "kv"}),
                                       ("GET", "kv1/kept", None)):
                status, out = self.srv.request(method, "/v1/" + path, body,
                                               token="", headers=headers)
                self.assertEqual(status, 403, (xvt[:8], path, out))
                self.assertIn("permission denied", out["errors"])
        self.assert_untouched()
        # The bearer alone works, as Vault's clients send it.
        status, out = self.srv.request(
            "GET", "/v1/kv1/kept", token="",
            headers={"Authorization": "Bearer root"})
        self.assertEqual((status, out["data"]), (200, {"v": "original"}))

    def raw(self, token_bytes):
        """A PUT to kv1/raw with token_bytes as X-Vault-Token, written
        byte for byte on a socket; returns the status code."""
        body = b'{"v":"raw"}'
        head = (b"PUT /v1/kv1/raw HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                b"X-Vault-Token: " + token_bytes + b"\r\n"
                b"Content-Type: application/json\r\n"
                b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                % len(body))
        with socket.create_connection(("127.0.0.1", self.srv.port),
                                      timeout=10) as s:
            s.sendall(head + body)
            data = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                data += chunk
        self.assertTrue(data.startswith(b"HTTP/1.1 "), data[:80])
        return int(data[9:12])

    def test_control_bytes_never_reach_a_valid_token(self):
        # The root token followed or split by bytes a C string or a lax
        # parser might drop: never the root token.
        self.assertEqual(self.raw(b"root"), 204)
        self.c.delete("kv1/raw")
        for bad in (b"root\x00", b"root\x00garbage", b"ro\x00ot",
                    b"root\x01", b"root\x7f", b"ro\x0bot", b"root\rX",
                    b"\x00root", b"root\xff"):
            status = self.raw(bad)
            self.assertIn(status, (400, 403), bad)
            self.assertIsNone(self.c.read("kv1/raw"), bad)
        # The server is still serving.
        self.assertEqual(self.raw(b"root"), 204)

    def test_foreign_namespace(self):
        for ns in ("team-a", "team-b"):
            self.srv.request("POST", "/v1/sys/namespaces/" + ns)
            self.srv.request("POST", "/v1/sys/mounts/kv", {"type": "kv"},
                             headers={"X-Vault-Namespace": ns})
            self.srv.request("PUT", "/v1/sys/policy/all", {"policy": ALL},
                             headers={"X-Vault-Namespace": ns})
            self.srv.request("PUT", "/v1/%s/kv/kept" % ns,
                             {"v": "original"})
        status, out = self.srv.request(
            "POST", "/v1/auth/token/create", {"policies": ["all"]},
            headers={"X-Vault-Namespace": "team-a"})
        self.assertEqual(status, 200, out)
        tok = out["auth"]["client_token"]
        # It works at home...
        status, _ = self.srv.request("GET", "/v1/team-a/kv/kept", token=tok)
        self.assertEqual(status, 200)

        # ...and nowhere else: the root namespace (ATTEMPTS), by header
        # and by path prefix in the sibling.
        self.assert_refused_everywhere(tok, label="foreign root")
        for method, path, body in (("PUT", "kv/kept", {"v": "changed"}),
                                   ("PUT", "kv/new", {"v": "x"}),
                                   ("GET", "kv/kept", None),
                                   ("PUT", "sys/policy/evil",
                                    {"policy": ALL}),
                                   ("POST", "sys/mounts/evil",
                                    {"type": "kv"}),
                                   ("POST", "auth/token/create", {})):
            for url, headers in (("/v1/team-b/" + path, None),
                                 ("/v1/" + path,
                                  {"X-Vault-Namespace": "team-b"})):
                status, out = self.srv.request(method, url, body,
                                               token=tok, headers=headers)
                self.assertEqual(status, 403, (url, headers, out))
                self.assertIn("permission denied", out["errors"])
        b = {"X-Vault-Namespace": "team-b"}
        status, out = self.srv.request("GET", "/v1/kv/kept", headers=b)
        self.assertEqual(out["data"], {"v": "original"})
        status, _ = self.srv.request("GET", "/v1/kv/new", headers=b)
        self.assertEqual(status, 404)
        status, out = self.srv.request("GET", "/v1/sys/policy/evil",
                                       headers=b)
        self.assertEqual(status, 404)
        status, out = self.srv.request("GET", "/v1/sys/mounts", headers=b)
        self.assertNotIn("evil/", out["data"])


if __name__ == "__main__":
    main()

"""The TLS listener: hvac over HTTPS with a certificate the test makes, and
plain HTTP refused on the TLS port."""

import os
import socket
import ssl
import subprocess

import requests

from harness import ServerTest, main


def make_cert(folder):
    key = os.path.join(folder, "tls.key")
    crt = os.path.join(folder, "tls.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec",
                    "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                    "-subj", "/CN=localhost", "-days", "1",
                    "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
                    "-keyout", key, "-out", crt],
                   check=True, capture_output=True)
    return crt, key


class Tls(ServerTest):
    def test_https_with_hvac(self):
        tmp = self.server().dir  # a scratch folder that gets cleaned up
        crt, key = make_cert(tmp)
        srv = self.server(tls=(crt, key)).start()
        c = srv.client()
        self.assertFalse(c.sys.is_initialized())
        init = c.sys.initialize(secret_shares=1, secret_threshold=1)
        c.sys.submit_unseal_key(init["keys"][0])
        c = srv.client(init["root_token"])
        c.sys.enable_secrets_engine("kv", path="kv")
        c.write("kv/x", v="over-tls")
        self.assertEqual(c.read("kv/x")["data"]["v"], "over-tls")

        # Without the CA the certificate is not trusted.
        with self.assertRaises(requests.exceptions.SSLError):
            requests.get(srv.addr + "/v1/sys/health", timeout=5)

        # TLS 1.1 is refused; 1.2 and 1.3 work.
        ctx = ssl.create_default_context(cafile=crt)
        ctx.maximum_version = ssl.TLSVersion.TLSv1_1
        ctx.minimum_version = ssl.TLSVersion.TLSv1
        # Let the client offer TLS 1.1, so that only the server can refuse.
        ctx.set_ciphers("DEFAULT:@SECLEVEL=0")
        with self.assertRaises((ssl.SSLError, ConnectionResetError)):
            with socket.create_connection(("127.0.0.1", srv.port)) as s:
                with ctx.wrap_socket(s, server_hostname="127.0.0.1"):
                    pass

        # Plain HTTP on the TLS port gets no answer in the clear.
        with socket.create_connection(("127.0.0.1", srv.port),
                                      timeout=5) as s:
            s.sendall(b"GET /v1/sys/health HTTP/1.1\r\nHost: x\r\n\r\n")
            try:
                data = s.recv(100)
            except (ConnectionResetError, socket.timeout):
                data = b""
            self.assertFalse(data.startswith(b"HTTP/1.1 200"))
        self.assertTrue(srv.alive())


if __name__ == "__main__":
    main()

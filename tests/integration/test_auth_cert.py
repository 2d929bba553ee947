"""The cert auth method over a real TLS listener: certificates made with
the openssl CLI, a client certificate signed by a trusted CA, one from
another CA, a self-signed leaf trusted by its exact bytes (and an impostor
with the same name and serial), name constraints, and renewals bound to
the login certificate."""

import os
import shutil
import subprocess
import tempfile

import hvac
import requests

from harness import ServerTest, main
from test_tls import make_cert


def openssl(*args):
    subprocess.run(["openssl"] + list(args), check=True,
                   capture_output=True)


class Pki:
    def __init__(self, folder):
        self.dir = folder

    def path(self, name):
        return os.path.join(self.dir, name)

    def ca(self, name):
        openssl("req", "-x509", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=" + name,
                "-days", "2", "-keyout", self.path(name + ".key"),
                "-out", self.path(name + ".crt"))
        return self.path(name + ".crt")

    def ext(self, name, lines):
        p = self.path(name + ".ext")
        with open(p, "w") as f:
            f.write("\n".join(lines) + "\n")
        return p

    def client(self, name, subj, ca=None, serial="4242", sans=None):
        key, csr = self.path(name + ".key"), self.path(name + ".csr")
        crt = self.path(name + ".crt")
        openssl("req", "-new", "-newkey", "ec", "-pkeyopt",
                "ec_paramgen_curve:P-256", "-nodes", "-subj", subj,
                "-keyout", key, "-out", csr)
        lines = ["basicConstraints=critical,CA:FALSE",
                 "extendedKeyUsage=clientAuth"]
        if sans:
            lines.append("subjectAltName=" + sans)
        ext = self.ext(name, lines)
        if ca:
            openssl("x509", "-req", "-in", csr, "-CA", self.path(ca + ".crt"),
                    "-CAkey", self.path(ca + ".key"), "-set_serial", serial,
                    "-days", "1", "-extfile", ext, "-out", crt)
        else:
            openssl("x509", "-req", "-in", csr, "-signkey", key,
                    "-set_serial", serial, "-days", "1", "-extfile", ext,
                    "-out", crt)
        return crt, key


def read(path):
    with open(path) as f:
        return f.read()


class Cert(ServerTest):
    def scratch(self):
        folder = tempfile.mkdtemp(prefix="coffer-cert-")
        self.addCleanup(shutil.rmtree, folder, True)
        return folder

    def start(self, client_ca=None):
        folder = self.scratch()
        crt, key = make_cert(folder)
        self.pki = Pki(folder)
        srv = self.server(tls=(crt, key))
        if client_ca:
            with open(srv.config_path) as f:
                text = f.read()
            text = text.replace('tls_key_file = "%s" }' % key,
                                'tls_key_file = "%s"\n  tls_client_ca_file'
                                ' = "%s" }' % (key, client_ca))
            with open(srv.config_path, "w") as f:
                f.write(text)
        srv.start()
        c = srv.client()
        init = c.sys.initialize(secret_shares=1, secret_threshold=1)
        c.sys.submit_unseal_key(init["keys"][0])
        self.root = init["root_token"]
        self.srv = srv
        self.c = srv.client(self.root)
        self.c.sys.enable_auth_method("cert")

    def post(self, path, body=None, cert=None, token=None):
        headers = {"X-Vault-Token": token} if token else {}
        r = requests.post(self.srv.addr + "/v1/" + path, json=body or {},
                          cert=cert, verify=self.srv.ca, headers=headers,
                          timeout=10)
        return r.status_code, (r.json() if r.content else None)

    def login_fails(self, cert, message, name=None):
        status, body = self.post("auth/cert/login",
                                 {"name": name} if name else {}, cert=cert)
        self.assertEqual(status, 400, body)
        self.assertIsNone(body.get("auth"))
        self.assertIn(message, body["errors"][0])

    def test_ca_chain_self_signed_leaf_and_constraints(self):
        self.start()
        pki = self.pki
        ca1 = pki.ca("ca1")
        pki.ca("ca2")
        good = pki.client("good", "/CN=web.example/OU=payments", ca="ca1",
                          sans="DNS:web.example,email:ops@example.com,"
                               "URI:spiffe://example/web")
        foreign = pki.client("foreign", "/CN=web.example/OU=payments",
                             ca="ca2")
        leaf = pki.client("leaf", "/CN=device-7", serial="77")
        impostor = pki.client("impostor", "/CN=device-7", serial="77")

        self.c.auth.cert.create_ca_certificate_role(
            "ca1", ca1, allowed_common_names="web.*",
            allowed_organizational_units=["payments"],
            token_policies=["web"], token_ttl="15m")
        self.c.write("auth/cert/certs/device", certificate=read(leaf[0]),
                     token_policies="device")
        self.c.write("auth/cert/certs/strict", certificate=read(ca1),
                     allowed_dns_sans="other.example")
        self.assertEqual(sorted(self.c.list("auth/cert/certs")["data"]
                                ["keys"]), ["ca1", "device", "strict"])

        # A client certificate signed by the trusted CA.
        status, body = self.post("auth/cert/login", cert=good)
        self.assertEqual(status, 200, body)
        meta = body["auth"]["metadata"]
        self.assertEqual(meta["cert_name"], "ca1")
        self.assertEqual(meta["common_name"], "web.example")
        self.assertEqual(meta["serial_number"], "4242")
        self.assertIn("web", body["auth"]["policies"])
        self.assertEqual(body["auth"]["lease_duration"], 900)

        # hvac's login with the certificate files.
        hc = hvac.Client(url=self.srv.addr, verify=self.srv.ca)
        hc.auth.cert.login(cert_pem=good[0], key_pem=good[1])
        self.assertTrue(hc.is_authenticated())

        # Same names, another CA; no certificate at all.
        self.login_fails(foreign,
                         "invalid certificate or no client certificate")
        self.login_fails(None, "invalid certificate or no client "
                               "certificate supplied")

        # The self-signed leaf is trusted as itself, by its bytes only:
        # another key with the same subject and serial is not.
        status, body = self.post("auth/cert/login", cert=leaf)
        self.assertEqual(status, 200, body)
        self.assertEqual(body["auth"]["metadata"]["cert_name"], "device")
        self.login_fails(impostor, "invalid certificate")

        # Trusted by "strict", but its DNS SAN is not allowed there.
        self.login_fails(good, "no chain matching all constraints",
                         name="strict")
        status, body = self.post("auth/cert/login", {"name": "ca1"},
                                 cert=good)
        self.assertEqual(status, 200, body)

        # Unsupported checks are refused rather than ignored.
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/cert/certs/x", certificate=read(ca1),
                         required_extensions="1.2.3.4:*")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/cert/certs/x", certificate="not a cert")

    def test_renewal_bound_to_the_login_certificate(self):
        self.start()
        pki = self.pki
        ca1 = pki.ca("ca1")
        good = pki.client("good", "/CN=web.example", ca="ca1")
        other = pki.client("other", "/CN=web.example", ca="ca1",
                           serial="99")
        self.c.write("auth/cert/certs/web", certificate=read(ca1),
                     token_ttl="10m")
        status, body = self.post("auth/cert/login", cert=good)
        self.assertEqual(status, 200, body)
        tok = body["auth"]["client_token"]

        status, body = self.post("auth/token/renew-self", cert=good,
                                 token=tok)
        self.assertEqual(status, 200, body)
        # Another certificate of the same CA and name, or none: refused.
        for cert in (other, None):
            status, body = self.post("auth/token/renew-self", cert=cert,
                                     token=tok)
            self.assertEqual(status, 400, body)
            self.assertIsNone(body.get("auth"))
            self.assertIn("same client certificate", body["errors"][0])
        # By value, from the root token's connection without a cert.
        status, body = self.post("auth/token/renew", {"token": tok},
                                 token=self.root)
        self.assertEqual(status, 400, body)

        # Once the role is gone, even the right certificate cannot renew.
        self.c.delete("auth/cert/certs/web")
        status, body = self.post("auth/token/renew-self", cert=good,
                                 token=tok)
        self.assertEqual(status, 400, body)

        # disable_binding turns the check off.
        self.c.write("auth/cert/config", disable_binding=True)
        status, body = self.post("auth/token/renew-self", token=tok)
        self.assertEqual(status, 200, body)

    def test_listener_with_client_ca_file(self):
        pki = Pki(self.scratch())
        ca1 = pki.ca("ca1")
        self.start(client_ca=ca1)
        self.pki = pki
        good = pki.client("good", "/CN=web.example", ca="ca1")
        self.c.write("auth/cert/certs/web", certificate=read(ca1))
        status, body = self.post("auth/cert/login", cert=good)
        self.assertEqual(status, 200, body)
        # Clients without a certificate still reach the API.
        status, _ = self.post("sys/health")
        self.assertIn(status, (200, 405))
        r = requests.get(self.srv.addr + "/v1/sys/health",
                         verify=self.srv.ca, timeout=10)
        self.assertEqual(r.status_code, 200)


if __name__ == "__main__":
    main()

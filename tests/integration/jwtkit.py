"""Keys, signed JWTs and a loopback JWKS/discovery server for the jwt and
kubernetes auth tests. Tokens are built by hand (not with a JWT library)
so that the tests can also make every malformed shape."""

import base64
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, ed25519, padding
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.utils import (
    decode_dss_signature)


def b64u(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64u_json(obj):
    return b64u(json.dumps(obj, separators=(",", ":")))


def int_bytes(n, size=None):
    size = size or (n.bit_length() + 7) // 8
    return n.to_bytes(size, "big")


class Key:
    """A signing key with its algorithm, kid, PEM public key and JWK."""

    def __init__(self, kind, kid):
        self.kind, self.kid = kind, kid
        if kind in ("RS256", "RS384", "RS512", "PS256"):
            self.priv = rsa.generate_private_key(65537, 2048)
        elif kind == "ES256":
            self.priv = ec.generate_private_key(ec.SECP256R1())
        elif kind == "ES384":
            self.priv = ec.generate_private_key(ec.SECP384R1())
        elif kind == "EdDSA":
            self.priv = ed25519.Ed25519PrivateKey.generate()
        else:
            raise ValueError(kind)
        self.alg = kind

    def pem(self):
        return self.priv.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode()

    def jwk(self):
        pub = self.priv.public_key()
        if self.kind.startswith(("RS", "PS")):
            n = pub.public_numbers()
            d = {"kty": "RSA", "n": b64u(int_bytes(n.n)),
                 "e": b64u(int_bytes(n.e))}
        elif self.kind.startswith("ES"):
            n = pub.public_numbers()
            size = 32 if self.kind == "ES256" else 48
            d = {"kty": "EC", "crv": "P-256" if size == 32 else "P-384",
                 "x": b64u(int_bytes(n.x, size)),
                 "y": b64u(int_bytes(n.y, size))}
        else:
            raw = pub.public_bytes(serialization.Encoding.Raw,
                                   serialization.PublicFormat.Raw)
            d = {"kty": "OKP", "crv": "Ed25519", "x": b64u(raw)}
        d.update({"kid": self.kid, "use": "sig", "alg": self.alg})
        return d

    def sign_bytes(self, data, alg=None):
        alg = alg or self.alg
        digest = {"256": hashes.SHA256(), "384": hashes.SHA384(),
                  "512": hashes.SHA512()}.get(alg[2:])
        if alg.startswith("RS"):
            return self.priv.sign(data, padding.PKCS1v15(), digest)
        if alg.startswith("PS"):
            return self.priv.sign(data, padding.PSS(
                mgf=padding.MGF1(digest), salt_length=digest.digest_size),
                digest)
        if alg.startswith("ES"):
            r, s = decode_dss_signature(self.priv.sign(
                data, ec.ECDSA(digest)))
            size = 32 if alg == "ES256" else 48
            return int_bytes(r, size) + int_bytes(s, size)
        return self.priv.sign(data)

    def token(self, claims, header=None, alg=None, kid=True):
        h = {"alg": alg or self.alg, "typ": "JWT"}
        if kid:
            h["kid"] = self.kid
        h.update(header or {})
        signing = b64u_json(h) + "." + b64u_json(claims)
        return signing + "." + b64u(self.sign_bytes(signing.encode(),
                                                    alg=None))


def claims(**kw):
    now = int(time.time())
    c = {"iss": "https://issuer.test", "sub": "ci-job-1",
         "aud": "coffer", "iat": now, "nbf": now - 5, "exp": now + 300}
    c.update(kw)
    return {k: v for k, v in c.items() if v is not None}


class KeyServer:
    """A loopback HTTP server answering /jwks.json and the OpenID
    discovery document, counting the fetches of the key set."""

    def __init__(self):
        self.keys = []
        self.hits = 0
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):
                if self.path == "/jwks.json":
                    outer.hits += 1
                    body = {"keys": [k.jwk() for k in outer.keys]}
                elif self.path == "/.well-known/openid-configuration":
                    body = {"issuer": outer.url,
                            "jwks_uri": outer.url + "/jwks.json"}
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:%d" % self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever,
                                       daemon=True)
        self.thread.start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()

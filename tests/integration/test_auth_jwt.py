"""The jwt auth method: logins with RSA, RSA-PSS, EC and Ed25519 tokens
from PEM keys, a JWKS URL and OpenID discovery, and every malformed or
unfit token refused with 400 and no token issued."""

import hmac
import hashlib
import os
import subprocess
import time

import hvac

from harness import BIN, ServerTest, main
from jwtkit import Key, KeyServer, b64u, b64u_json, claims


class Jwt(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True).start()
        self.c = self.srv.client()
        self.c.sys.enable_auth_method("jwt")

    def login(self, jwt, role="ci", path="jwt", expect=200):
        body = {"jwt": jwt}
        if role is not None:
            body["role"] = role
        status, resp = self.srv.request("POST", "/v1/auth/%s/login" % path,
                                        body, token="")
        self.assertEqual(status, expect, resp)
        if expect != 200:
            # No token, and the token never echoed back.
            self.assertIsNone((resp or {}).get("auth"))
            self.assertNotIn(jwt or "\0", str(resp))
            self.assertTrue(resp["errors"], resp)
        return resp

    def role(self, name="ci", **kw):
        body = {"role_type": "jwt", "user_claim": "sub",
                "bound_audiences": ["coffer"], "token_policies": ["p1"]}
        body.update(kw)
        self.c.write("auth/jwt/role/" + name, **body)

    def test_pem_keys_rsa_and_token(self):
        k = Key("RS256", "k1")
        self.c.write("auth/jwt/config", jwt_validation_pubkeys=[k.pem()],
                     bound_issuer="https://issuer.test")
        self.role(claim_mappings={"repo": "repository"},
                  bound_claims={"repo": ["org/app", "org/lib"]},
                  token_ttl="10m")
        resp = self.login(k.token(claims(repo="org/app")))
        auth = resp["auth"]
        self.assertEqual(auth["metadata"],
                         {"role": "ci", "repository": "org/app"})
        self.assertEqual(auth["lease_duration"], 600)
        self.assertIn("p1", auth["policies"])
        me = self.srv.client(auth["client_token"]).lookup_token()["data"]
        # The core prefixes "token-" to every display name (core_login).
        self.assertTrue(me["display_name"].endswith("jwt-ci-job-1"))
        self.assertEqual(me["path"], "auth/jwt/login")

        # hvac's own login call works too.
        c = hvac.Client(url=self.srv.addr)
        c.auth.jwt.jwt_login("ci", k.token(claims(repo="org/lib")))
        self.assertTrue(c.is_authenticated())

        # And the CLI: coffer login -method=jwt with the token in a file.
        path = os.path.join(self.srv.dir, "ci.jwt")
        with open(path, "w") as f:
            f.write(k.token(claims(repo="org/app")))
        env = dict(os.environ, VAULT_ADDR=self.srv.addr, HOME=self.srv.dir)
        env.pop("VAULT_TOKEN", None)
        p = subprocess.run([BIN, "login", "-method=jwt", "-no-store",
                            "-token-only", "role=ci", "jwt=@" + path],
                           env=env, capture_output=True, text=True,
                           timeout=30)
        self.assertEqual(p.returncode, 0, p.stderr)
        cli = self.srv.client(p.stdout.strip()).lookup_token()["data"]
        self.assertEqual(cli["path"], "auth/jwt/login")

        # Reading the config back shows the key, not a secret.
        cfg = self.c.read("auth/jwt/config")["data"]
        self.assertEqual([p.strip() for p in cfg["jwt_validation_pubkeys"]],
                         [k.pem().strip()])
        self.assertNotIn("oidc_client_secret", cfg)

    def test_every_algorithm_through_jwks(self):
        ks = KeyServer()
        self.addCleanup(ks.close)
        keys = [Key(a, "kid-" + a) for a in
                ("RS256", "RS384", "RS512", "PS256", "ES256", "ES384",
                 "EdDSA")]
        ks.keys = keys
        self.c.write("auth/jwt/config", jwks_url=ks.url + "/jwks.json")
        self.role()
        for k in keys:
            with self.subTest(alg=k.alg):
                auth = self.login(k.token(claims()))["auth"]
                self.assertTrue(auth["client_token"].startswith("hvs."))

    def test_discovery_and_issuer(self):
        ks = KeyServer()
        self.addCleanup(ks.close)
        k = Key("ES256", "e1")
        ks.keys = [k]
        self.c.write("auth/jwt/config", oidc_discovery_url=ks.url)
        self.role()
        self.login(k.token(claims(iss=ks.url)))
        resp = self.login(k.token(claims(iss="https://evil.test")),
                          expect=400)
        self.assertIn("issuer", resp["errors"][0])

    def test_kid_rotation_refreshes_at_a_bounded_rate(self):
        ks = KeyServer()
        self.addCleanup(ks.close)
        old, new = Key("RS256", "old"), Key("RS256", "new")
        ks.keys = [old]
        self.c.write("auth/jwt/config", jwks_url=ks.url + "/jwks.json")
        self.role()
        self.login(old.token(claims()))
        hits = ks.hits

        # The provider rotates: an unknown kid fetches the set once.
        ks.keys = [new]
        self.login(new.token(claims()))
        self.assertEqual(ks.hits, hits + 1)

        # A kid nobody publishes fails; a second try within the refresh
        # interval does not make the server fetch again.
        stranger = Key("RS256", "stranger")
        resp = self.login(stranger.token(claims()), expect=400)
        self.assertIn("kid", resp["errors"][0])
        self.login(stranger.token(claims()), expect=400)
        self.assertLessEqual(ks.hits, hits + 2)
        n = ks.hits
        for _ in range(5):
            self.login(stranger.token(claims()), expect=400)
        self.assertEqual(ks.hits, n)

    def test_bad_tokens_get_no_token(self):
        rsa, ec = Key("RS256", "r"), Key("ES256", "e")
        ks = KeyServer()
        self.addCleanup(ks.close)
        ks.keys = [rsa, ec]
        self.c.write("auth/jwt/config", jwks_url=ks.url + "/jwks.json",
                     bound_issuer="https://issuer.test")
        self.role(bound_claims={"env": "prod*"}, bound_claims_type="glob",
                  expiration_leeway=-1, not_before_leeway=-1,
                  clock_skew_leeway=-1)
        now = int(time.time())
        good = claims(env="production")
        self.login(rsa.token(good))

        h = b64u_json({"alg": "RS256", "kid": "r"})
        p = b64u_json(good)
        sig = rsa.token(good).split(".")[2]
        none_tok = b64u_json({"alg": "none"}) + "." + p + "."
        # HS256 keyed with the RSA public key's PEM: the classic confusion.
        hs_in = b64u_json({"alg": "HS256", "kid": "r"}) + "." + p
        hs_tok = hs_in + "." + b64u(hmac.new(
            rsa.pem().encode(), hs_in.encode(), hashlib.sha256).digest())
        cases = {
            "alg none": none_tok,
            "alg none with signature": none_tok + sig,
            "HS256 with the public key as secret": hs_tok,
            # Signed by the EC key, but the header claims RSA with its kid.
            "alg not fitting the key": ec.token(good, alg="RS256"),
            "ES256 header on the RSA key": rsa.token(good, alg="ES256"),
            "unknown kid": Key("RS256", "zz").token(good),
            "expired": rsa.token(claims(env="prod", exp=now - 5)),
            "no exp": rsa.token(claims(env="prod", exp=None)),
            "exp not a number": rsa.token(claims(env="prod",
                                                 exp="tomorrow")),
            "nbf in the future": rsa.token(claims(env="prod",
                                                  nbf=now + 600)),
            "iat in the future": rsa.token(claims(env="prod",
                                                  iat=now + 600)),
            "wrong issuer": rsa.token(claims(env="prod", iss="https://x")),
            "aud string mismatch": rsa.token(claims(env="prod",
                                                    aud="other")),
            "aud list mismatch": rsa.token(claims(env="prod",
                                                  aud=["a", "b"])),
            "aud empty list": rsa.token(claims(env="prod", aud=[])),
            "aud not a string": rsa.token(claims(env="prod", aud=7)),
            "bound claim fails glob": rsa.token(claims(env="staging")),
            "bound claim missing": rsa.token(claims()),
            "tampered payload": h + "." + b64u_json(
                claims(env="prod", sub="admin")) + "." + sig,
            "truncated signature": rsa.token(good)[:-10],
            "two parts": h + "." + p,
            "four parts": rsa.token(good) + ".x",
            "bad base64 header": "%%%." + p + "." + sig,
            "padded base64": h + "=." + p + "." + sig,
            "payload is an array": h + "." + b64u("[1,2]") + "." + sig,
            "payload not json": h + "." + b64u("{nope") + "." + sig,
            "header not json": b64u("x") + "." + p + "." + sig,
            "huge header": b64u_json({"alg": "RS256", "x": "a" * 8000})
                           + "." + p + "." + sig,
            "huge token": "a" * 70000,
            "crit header": rsa.token(good, header={"crit": ["exp"]}),
            "empty": "",
        }
        for name, tok in cases.items():
            with self.subTest(case=name):
                self.login(tok, expect=400)

        # Lists and strings for aud both match a bound audience.
        self.login(rsa.token(claims(env="prod", aud=["x", "coffer"])))
        self.login(rsa.token(claims(env="prod-eu", aud="coffer")))

    def test_leeway(self):
        k = Key("EdDSA", "ed")
        self.c.write("auth/jwt/config", jwt_validation_pubkeys=k.pem())
        now = int(time.time())
        # Defaults: 60 s clock skew plus 150 s for exp and nbf.
        self.role()
        self.login(k.token(claims(exp=now - 100)))
        self.login(k.token(claims(exp=now - 300)), expect=400)
        self.login(k.token(claims(nbf=now + 100)))
        self.role(expiration_leeway=-1, clock_skew_leeway=-1)
        self.login(k.token(claims(exp=now - 3)), expect=400)

    def test_roles_and_config_rules(self):
        k = Key("RS256", "k")
        # Two key sources, or none, are refused.
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/jwt/config", jwt_validation_pubkeys=k.pem(),
                         jwks_url="http://127.0.0.1:1/jwks.json")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/jwt/config", bound_issuer="x")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/jwt/config",
                         jwt_validation_pubkeys="not a key")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/jwt/config",
                         jwks_url="http://127.0.0.1:1/jwks.json")
        self.c.write("auth/jwt/config", jwt_validation_pubkeys=k.pem(),
                     default_role="dflt")

        # role_type defaults to oidc, which needs redirect URIs and
        # cannot log in with a JWT.
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/jwt/role/o", user_claim="sub")
        self.c.write("auth/jwt/role/o", user_claim="sub",
                     allowed_redirect_uris=["https://app/cb"])
        self.assertEqual(self.c.read("auth/jwt/role/o")["data"]["role_type"],
                         "oidc")
        resp = self.login(k.token(claims()), role="o", expect=400)
        self.assertIn("role with oidc role_type is not allowed",
                      resp["errors"][0])
        # user_claim is required; a jwt role needs a bound constraint.
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/jwt/role/x", role_type="jwt",
                         bound_audiences="coffer")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/jwt/role/x", role_type="jwt",
                         user_claim="sub")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.role("x", claim_mappings={"a": "role"})

        # No role given: the default role; an unknown role: 400.
        self.role("dflt", user_claim="email")
        auth = self.login(k.token(claims(email="a@b.c")), role=None)["auth"]
        self.assertEqual(auth["metadata"]["role"], "dflt")
        resp = self.login(k.token(claims()), role="ghost", expect=400)
        self.assertIn('role "ghost" could not be found', resp["errors"][0])
        # A user_claim missing from the token.
        self.login(k.token(claims()), role="dflt", expect=400)
        self.login(None, expect=400)

        # A token with aud where the role binds no audience.
        self.role("subonly", bound_audiences=[], bound_subject="ci-job-1")
        resp = self.login(k.token(claims()), role="subonly", expect=400)
        self.assertIn("no audiences bound", resp["errors"][0])
        self.login(k.token(claims(aud=None)), role="subonly")
        self.login(k.token(claims(aud=None, sub="other")), role="subonly",
                   expect=400)

        # Supported algorithms narrow what the keys may verify.
        e = Key("ES256", "e")
        self.c.write("auth/jwt/config",
                     jwt_validation_pubkeys=[k.pem(), e.pem()],
                     jwt_supported_algs=["ES256"])
        self.role()
        self.login(e.token(claims()))
        self.login(k.token(claims()), expect=400)

        self.assertIn("ci", self.c.list("auth/jwt/role")["data"]["keys"])
        self.c.delete("auth/jwt/role/ci")
        self.login(e.token(claims()), expect=400)

    def test_cidr_binding_and_oidc_type(self):
        k = Key("RS256", "k")
        self.c.sys.enable_auth_method("oidc")
        self.c.write("auth/oidc/config", jwt_validation_pubkeys=k.pem())
        self.c.write("auth/oidc/role/r", role_type="jwt", user_claim="sub",
                     bound_audiences="coffer",
                     token_bound_cidrs=["10.0.0.0/8"])
        status, resp = self.srv.request(
            "POST", "/v1/auth/oidc/login",
            {"role": "r", "jwt": k.token(claims())}, token="")
        self.assertEqual(status, 403)
        self.assertIsNone(resp.get("auth"))
        self.c.write("auth/oidc/role/r", token_bound_cidrs=["127.0.0.0/8"])
        self.login(k.token(claims()), role="r", path="oidc")
        status, resp = self.srv.request(
            "POST", "/v1/auth/oidc/oidc/auth_url",
            {"role": "r", "redirect_uri": "x"}, token="")
        self.assertEqual(status, 400)


if __name__ == "__main__":
    main()

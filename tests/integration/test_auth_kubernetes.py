"""The kubernetes auth method with service-account-shaped JWTs verified
locally against pem_keys: the legacy secret-based claims and the projected
"kubernetes.io" form, bound names and namespaces (403), audience, issuer,
and tokens that must be refused."""

import time

import hvac

from harness import ServerTest, main
from jwtkit import Key, b64u_json


def legacy_claims(ns="apps", name="web", uid="uid-1"):
    return {"iss": "kubernetes/serviceaccount",
            "kubernetes.io/serviceaccount/namespace": ns,
            "kubernetes.io/serviceaccount/secret.name": name + "-token-x",
            "kubernetes.io/serviceaccount/service-account.name": name,
            "kubernetes.io/serviceaccount/service-account.uid": uid,
            "sub": "system:serviceaccount:%s:%s" % (ns, name)}


def projected_claims(ns="apps", name="web", uid="uid-2", **kw):
    now = int(time.time())
    c = {"iss": "https://kubernetes.default.svc", "aud": ["vault"],
         "iat": now, "nbf": now, "exp": now + 600,
         "kubernetes.io": {"namespace": ns,
                           "serviceaccount": {"name": name, "uid": uid}},
         "sub": "system:serviceaccount:%s:%s" % (ns, name)}
    c.update(kw)
    return c


class Kubernetes(ServerTest):
    def setUp(self):
        super().setUp()
        self.srv = self.server(dev=True).start()
        self.c = self.srv.client()
        self.c.sys.enable_auth_method("kubernetes")
        self.key = Key("RS256", "sa")
        self.ec = Key("ES256", "sa-ec")
        self.c.write("auth/kubernetes/config",
                     kubernetes_host="https://10.0.0.1:6443",
                     pem_keys=[self.key.pem(), self.ec.pem()],
                     token_reviewer_jwt="reviewer-secret")

    def login(self, jwt, role="app", expect=200):
        status, body = self.srv.request(
            "POST", "/v1/auth/kubernetes/login", {"role": role, "jwt": jwt},
            token="")
        self.assertEqual(status, expect, body)
        if expect != 200:
            self.assertIsNone(body.get("auth"))
            self.assertNotIn(jwt, str(body))
        return body

    def test_legacy_and_projected_tokens(self):
        cfg = self.c.read("auth/kubernetes/config")["data"]
        self.assertTrue(cfg["token_reviewer_jwt_set"])
        self.assertNotIn("token_reviewer_jwt", cfg)

        # hvac's legacy role call sends policies and ttl.
        self.c.auth.kubernetes.create_role(
            "app", bound_service_account_names=["web", "job-*"],
            bound_service_account_namespaces=["apps"], policies=["app"],
            ttl="20m")
        auth = self.login(self.key.token(legacy_claims()))["auth"]
        self.assertEqual(auth["metadata"], {
            "role": "app", "service_account_name": "web",
            "service_account_namespace": "apps",
            "service_account_uid": "uid-1",
            "service_account_secret_name": "web-token-x"})
        self.assertIn("app", auth["policies"])
        self.assertEqual(auth["lease_duration"], 1200)

        auth = self.login(self.ec.token(projected_claims(name="job-7")))
        self.assertEqual(auth["auth"]["metadata"]["service_account_uid"],
                         "uid-2")

        c = hvac.Client(url=self.srv.addr)
        c.auth.kubernetes.login("app", self.key.token(legacy_claims()))
        self.assertTrue(c.is_authenticated())

    def test_bindings_and_bad_tokens(self):
        self.c.write("auth/kubernetes/role/app",
                     bound_service_account_names="web",
                     bound_service_account_namespaces="apps,ops-*",
                     audience="vault", token_policies="app")
        self.login(self.key.token(projected_claims(ns="ops-eu")))

        # Unbound account or namespace: 403, as Vault answers.
        body = self.login(self.key.token(projected_claims(name="db")),
                          expect=403)
        self.assertIn("service account name not authorized",
                      body["errors"][0])
        body = self.login(self.key.token(projected_claims(ns="kube-system")),
                          expect=403)
        self.assertIn("namespace not authorized", body["errors"][0])
        # The role wants an audience the token does not carry.
        self.login(self.key.token(projected_claims(aud=["other"])),
                   expect=403)
        self.login(self.key.token(projected_claims(
            exp=int(time.time()) - 120)), expect=403)

        stranger = Key("RS256", "x")
        cases = {
            "unknown key": stranger.token(projected_claims()),
            "alg none": b64u_json({"alg": "none"}) + "." +
                        b64u_json(projected_claims()) + ".",
            "sub names another account": self.key.token(projected_claims(
                sub="system:serviceaccount:apps:admin")),
            "no account claims": self.key.token({"sub": "x", "aud": "vault"}),
            "garbage": "not.a.jwt",
        }
        for name, tok in cases.items():
            with self.subTest(case=name):
                self.login(tok, expect=400)
        self.login(self.key.token(projected_claims()), role="ghost",
                   expect=400)

        # Issuer validation, when turned on.
        self.c.write("auth/kubernetes/config",
                     kubernetes_host="https://10.0.0.1:6443",
                     pem_keys=self.key.pem(), disable_iss_validation=False,
                     issuer="https://kubernetes.default.svc")
        self.login(self.key.token(projected_claims()))
        self.login(self.key.token(projected_claims(iss="https://evil")),
                   expect=403)

    def test_role_rules_and_no_keys(self):
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/kubernetes/role/x",
                         bound_service_account_names="*",
                         bound_service_account_namespaces="*")
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/kubernetes/role/x",
                         bound_service_account_names="web")
        self.c.write("auth/kubernetes/role/app",
                     bound_service_account_names="*",
                     bound_service_account_namespaces="apps",
                     alias_name_source="serviceaccount_name")
        self.assertEqual(self.c.list("auth/kubernetes/role")["data"]["keys"],
                         ["app"])
        self.login(self.key.token(legacy_claims(name="anything")))
        with self.assertRaises(hvac.exceptions.InvalidRequest):
            self.c.write("auth/kubernetes/config", pem_keys="nope",
                         kubernetes_host="https://h")
        # Without pem_keys this server cannot verify: a clear 400.
        self.c.write("auth/kubernetes/config", kubernetes_host="https://h")
        body = self.login(self.key.token(legacy_claims()), expect=400)
        self.assertIn("pem_keys", body["errors"][0])


if __name__ == "__main__":
    main()

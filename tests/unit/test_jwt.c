/*
 * test_jwt.c - the JWT pieces of the jwt and kubernetes auth methods:
 * base64url, compact parsing, signatures of every algorithm with keys
 * made here, JWKs, time/audience/bound-claim checks, globs, CIDRs, the
 * service-account claims, and the CLI's login bodies.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/jwt/jwt.h"
#include "auth/kubernetes/kubernetes.h"
#include "cli/login_machine.h"
#include "core/cidr.h"

#define NOW 1700000000

/* ---- helpers: keys and signed tokens ---- */

static EVP_PKEY *gen(enum jwt_alg alg)
{
	switch (alg) {
	case JWT_ES256:
		return EVP_EC_gen("P-256");
	case JWT_ES384:
		return EVP_EC_gen("P-384");
	case JWT_EDDSA:
		return EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	default:
		return EVP_RSA_gen(2048);
	}
}

static const EVP_MD *md_of(enum jwt_alg alg)
{
	switch (alg) {
	case JWT_RS384:
	case JWT_ES384:
		return EVP_sha384();
	case JWT_RS512:
		return EVP_sha512();
	case JWT_EDDSA:
		return NULL;
	default:
		return EVP_sha256();
	}
}

/* Signs in with key as alg would; ECDSA turned into JOSE r||s. */
static void sign(EVP_PKEY *key, enum jwt_alg alg, const char *in,
                 struct buf *sig)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	unsigned char der[1024];
	size_t n = sizeof(der);

	assert_int_equal(EVP_DigestSignInit(md, &pctx, md_of(alg), NULL, key),
	                 1);
	if (alg == JWT_PS256) {
		EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING);
		EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST);
	}
	assert_int_equal(
	    EVP_DigestSign(md, der, &n, (const unsigned char *)in, strlen(in)),
	    1);
	EVP_MD_CTX_free(md);
	if (alg == JWT_ES256 || alg == JWT_ES384) {
		size_t half = alg == JWT_ES256 ? 32 : 48;
		const unsigned char *p = der;
		ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)n);
		unsigned char rs[96];
		assert_non_null(es);
		BN_bn2binpad(ECDSA_SIG_get0_r(es), rs, (int)half);
		BN_bn2binpad(ECDSA_SIG_get0_s(es), rs + half, (int)half);
		ECDSA_SIG_free(es);
		assert_int_equal(buf_append(sig, rs, 2 * half), ERR_OK);
		return;
	}
	assert_int_equal(buf_append(sig, der, n), ERR_OK);
}

/* "<b64 header>.<b64 payload>.<b64 sig>" as a heap string. */
static char *make_token(EVP_PKEY *key, enum jwt_alg alg, const char *header,
                        const char *payload)
{
	char *h = jwt_b64url_encode((const uint8_t *)header, strlen(header));
	char *p = jwt_b64url_encode((const uint8_t *)payload, strlen(payload));
	struct buf in = BUF_INIT, sig = BUF_INIT;
	char *s, *out;

	buf_printf(&in, "%s.%s", h, p);
	sign(key, alg, buf_str(&in), &sig);
	s = jwt_b64url_encode(sig.data, sig.len);
	buf_printf(&in, ".%s", s);
	out = buf_detach(&in);
	free(h);
	free(p);
	free(s);
	buf_release(&sig);
	return out;
}

static err_t parse(const char *tok, struct jwt *t)
{
	char err[256] = "";
	err_t rc;

	memset(t, 0, sizeof(*t));
	rc = jwt_parse(tok, strlen(tok), t, err, sizeof(err));
	if (rc != ERR_OK)
		assert_true(err[0] != 0);
	return rc;
}

/* ---- base64url ---- */

static void test_b64url(void **state)
{
	static const char *bad[] = {"QQ=",   "Q",  "QUJD+", "QUJD/",
	                            "QU JD", "QR", "QUJ",   "QUJDRA=="};
	struct buf b = BUF_INIT;
	char *enc;
	size_t i;

	(void)state;
	assert_int_equal(jwt_b64url_decode("QUJD", 4, &b), ERR_OK);
	assert_string_equal(buf_str(&b), "ABC");
	buf_reset(&b);
	assert_int_equal(jwt_b64url_decode("-_8", 3, &b), ERR_OK);
	assert_int_equal(b.len, 2);
	assert_int_equal(b.data[0], 0xfb);
	assert_int_equal(b.data[1], 0xff);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		buf_reset(&b);
		/* "QR" and "QUJ" carry non-zero bits past the last byte. */
		assert_int_equal(jwt_b64url_decode(bad[i], strlen(bad[i]), &b),
		                 ERR_INVALID);
	}
	enc = jwt_b64url_encode((const uint8_t *)"\xfb\xff", 2);
	assert_string_equal(enc, "-_8");
	free(enc);
	buf_release(&b);
}

/* ---- parsing ---- */

static void test_parse_shapes(void **state)
{
	EVP_PKEY *k = gen(JWT_RS256);
	char *good =
	    make_token(k, JWT_RS256, "{\"alg\":\"RS256\",\"kid\":\"a\"}",
	               "{\"sub\":\"x\"}");
	struct {
		const char *header, *payload;
	} bad[] = {
	    {"{\"alg\":\"none\"}", "{}"},
	    {"{\"alg\":\"HS256\"}", "{}"},
	    {"{\"alg\":\"RS256\",\"crit\":[\"x\"]}", "{}"},
	    {"{\"alg\":\"RS256\",\"kid\":5}", "{}"},
	    {"{\"kid\":\"a\"}", "{}"},
	    {"[1]", "{}"},
	    {"{\"alg\":\"RS256\"}", "[1]"},
	    {"{\"alg\":\"RS256\"}", "{\"a\":1,\"a\":2}"},
	    {"{\"alg\":\"RS256\"}", "nope"},
	};
	struct jwt t;
	char *tok, *big;
	size_t i;

	(void)state;
	assert_int_equal(parse(good, &t), ERR_OK);
	assert_int_equal(t.alg, JWT_RS256);
	assert_string_equal(t.kid, "a");
	assert_string_equal(json_string_value(json_object_get(t.claims, "sub")),
	                    "x");
	jwt_release(&t);
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		tok = make_token(k, JWT_RS256, bad[i].header, bad[i].payload);
		assert_int_equal(parse(tok, &t), ERR_INVALID);
		jwt_release(&t);
		free(tok);
	}
	assert_int_equal(parse("a.b", &t), ERR_INVALID);
	jwt_release(&t);
	assert_int_equal(parse("a.b.c.d", &t), ERR_INVALID);
	jwt_release(&t);
	assert_int_equal(parse("", &t), ERR_INVALID);
	jwt_release(&t);
	/* No signature at all, and an over-long token. */
	tok = strndup(good, (size_t)(strrchr(good, '.') - good + 1));
	assert_int_equal(parse(tok, &t), ERR_INVALID);
	jwt_release(&t);
	free(tok);
	big = calloc(1, JWT_MAX_TOKEN + 2);
	memset(big, 'a', JWT_MAX_TOKEN + 1);
	assert_int_equal(parse(big, &t), ERR_INVALID);
	jwt_release(&t);
	free(big);
	free(good);
	EVP_PKEY_free(k);
}

/* ---- signatures ---- */

static void test_verify_every_alg(void **state)
{
	static const enum jwt_alg algs[] = {JWT_RS256, JWT_RS384, JWT_RS512,
	                                    JWT_PS256, JWT_ES256, JWT_ES384,
	                                    JWT_EDDSA};
	char header[64], err[256];
	struct jwt t;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(algs) / sizeof(algs[0]); i++) {
		EVP_PKEY *k = gen(algs[i]), *other = gen(algs[i]);
		char *tok;
		snprintf(header, sizeof(header), "{\"alg\":\"%s\"}",
		         jwt_alg_name(algs[i]));
		tok = make_token(k, algs[i], header, "{\"sub\":\"s\"}");
		assert_int_equal(parse(tok, &t), ERR_OK);
		assert_int_equal(jwt_verify(&t, k, err, sizeof(err)), ERR_OK);
		/* Another key of the same kind does not verify it. */
		assert_int_equal(jwt_verify(&t, other, err, sizeof(err)),
		                 ERR_INVALID);
		/* Nor does a changed signing input. */
		t.signing_input.data[t.signing_input.len - 1] ^= 1;
		assert_int_equal(jwt_verify(&t, k, err, sizeof(err)),
		                 ERR_INVALID);
		jwt_release(&t);
		free(tok);
		EVP_PKEY_free(k);
		EVP_PKEY_free(other);
	}
}

static void test_alg_key_mismatch(void **state)
{
	EVP_PKEY *rsa = gen(JWT_RS256), *ec = gen(JWT_ES256);
	EVP_PKEY *ec384 = gen(JWT_ES384), *ed = gen(JWT_EDDSA);
	EVP_PKEY *small = EVP_RSA_gen(1024);
	char err[256];
	struct jwt t;
	char *tok;

	(void)state;
	assert_false(jwt_key_fits(ec, JWT_RS256));
	assert_false(jwt_key_fits(rsa, JWT_ES256));
	assert_false(jwt_key_fits(ec384, JWT_ES256));
	assert_false(jwt_key_fits(ed, JWT_ES256));
	assert_false(jwt_key_fits(rsa, JWT_EDDSA));
	assert_false(jwt_key_fits(small, JWT_RS256));
	assert_true(jwt_key_fits(ec384, JWT_ES384));

	/* An EC signature under a header that claims RSA. */
	tok = make_token(ec, JWT_ES256, "{\"alg\":\"RS256\"}", "{}");
	assert_int_equal(parse(tok, &t), ERR_OK);
	assert_int_equal(jwt_verify(&t, ec, err, sizeof(err)), ERR_INVALID);
	assert_int_equal(jwt_verify(&t, rsa, err, sizeof(err)), ERR_INVALID);
	jwt_release(&t);
	free(tok);

	/* ES256 with a signature of the wrong length. */
	tok = make_token(ec384, JWT_ES384, "{\"alg\":\"ES256\"}", "{}");
	assert_int_equal(parse(tok, &t), ERR_OK);
	assert_int_equal(jwt_verify(&t, ec, err, sizeof(err)), ERR_INVALID);
	jwt_release(&t);
	free(tok);

	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ec384);
	EVP_PKEY_free(ed);
	EVP_PKEY_free(small);
}

static void test_pem_keys(void **state)
{
	EVP_PKEY *k = gen(JWT_ES256), *back = NULL;
	BIO *b = BIO_new(BIO_s_mem());
	char *pem;
	long n;

	(void)state;
	PEM_write_bio_PUBKEY(b, k);
	n = BIO_get_mem_data(b, &pem);
	pem = strndup(pem, (size_t)n);
	assert_int_equal(jwt_pem_public_key(pem, &back), ERR_OK);
	assert_int_equal(EVP_PKEY_eq(k, back), 1);
	assert_int_equal(jwt_pem_public_key("not a key", &back), ERR_INVALID);
	EVP_PKEY_free(back);
	free(pem);
	BIO_free(b);
	EVP_PKEY_free(k);
}

/* ---- JWKs ---- */

static char *b64_bn(EVP_PKEY *k, const char *param, size_t pad)
{
	BIGNUM *bn = NULL;
	unsigned char raw[600];
	int n;
	char *s;

	assert_int_equal(EVP_PKEY_get_bn_param(k, param, &bn), 1);
	n = pad ? BN_bn2binpad(bn, raw, (int)pad) : BN_bn2bin(bn, raw);
	s = jwt_b64url_encode(raw, (size_t)n);
	BN_free(bn);
	return s;
}

static json_t *jwk_of(EVP_PKEY *k, enum jwt_alg alg)
{
	unsigned char raw[32];
	size_t n = sizeof(raw);
	char *a, *b;
	json_t *j;

	if (alg == JWT_EDDSA) {
		EVP_PKEY_get_raw_public_key(k, raw, &n);
		a = jwt_b64url_encode(raw, n);
		j = json_pack("{ss ss ss}", "kty", "OKP", "crv", "Ed25519", "x",
		              a);
		free(a);
		return j;
	}
	if (alg == JWT_ES256) {
		a = b64_bn(k, OSSL_PKEY_PARAM_EC_PUB_X, 32);
		b = b64_bn(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
		j = json_pack("{ss ss ss ss}", "kty", "EC", "crv", "P-256", "x",
		              a, "y", b);
	} else {
		a = b64_bn(k, OSSL_PKEY_PARAM_RSA_N, 0);
		b = b64_bn(k, OSSL_PKEY_PARAM_RSA_E, 0);
		j = json_pack("{ss ss ss}", "kty", "RSA", "n", a, "e", b);
	}
	free(a);
	free(b);
	return j;
}

static void test_jwk_keys(void **state)
{
	static const enum jwt_alg algs[] = {JWT_RS256, JWT_ES256, JWT_EDDSA};
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < 3; i++) {
		EVP_PKEY *k = gen(algs[i]), *back = NULL;
		json_t *jwk = jwk_of(k, algs[i]);
		assert_int_equal(
		    jwks_key_from_jwk(jwk, &back, err, sizeof(err)), ERR_OK);
		assert_int_equal(EVP_PKEY_eq(k, back), 1);
		EVP_PKEY_free(back);
		json_decref(jwk);
		EVP_PKEY_free(k);
	}
}

static void test_jwk_bad(void **state)
{
	EVP_PKEY *k = gen(JWT_ES256), *back = NULL;
	json_t *jwk = jwk_of(k, JWT_ES256);
	char err[256], *y;
	unsigned char raw[32];

	(void)state;
	/* A point off the curve: y changed by one bit. */
	y = b64_bn(k, OSSL_PKEY_PARAM_EC_PUB_Y, 32);
	{
		struct buf b = BUF_INIT;
		jwt_b64url_decode(y, strlen(y), &b);
		memcpy(raw, b.data, 32);
		raw[31] ^= 1;
		buf_release(&b);
	}
	free(y);
	y = jwt_b64url_encode(raw, 32);
	json_object_set_new(jwk, "y", json_string(y));
	assert_int_equal(jwks_key_from_jwk(jwk, &back, err, sizeof(err)),
	                 ERR_INVALID);
	/* A coordinate of the wrong length. */
	json_object_set_new(jwk, "y", json_string("AAAA"));
	assert_int_equal(jwks_key_from_jwk(jwk, &back, err, sizeof(err)),
	                 ERR_INVALID);
	json_object_set_new(jwk, "kty", json_string("oct"));
	assert_int_equal(jwks_key_from_jwk(jwk, &back, err, sizeof(err)),
	                 ERR_INVALID);
	free(y);
	json_decref(jwk);
	EVP_PKEY_free(k);
}

static void test_jwks_parse(void **state)
{
	EVP_PKEY *k = gen(JWT_EDDSA);
	json_t *sig = jwk_of(k, JWT_EDDSA), *enc = json_deep_copy(sig);
	struct jwks set = {NULL, 0};
	char err[256], *doc;
	json_t *root;

	(void)state;
	json_object_set_new(sig, "kid", json_string("s"));
	json_object_set_new(enc, "use", json_string("enc"));
	root = json_pack("{s[oo{ss}]}", "keys", enc, sig, "kty", "weird");
	doc = json_dumps(root, 0);
	json_decref(root);
	assert_int_equal(jwks_parse(doc, strlen(doc), &set, err, sizeof(err)),
	                 ERR_OK);
	assert_int_equal(set.len, 1);
	assert_string_equal(set.keys[0].kid, "s");
	jwks_release(&set);
	free(doc);
	assert_int_equal(
	    jwks_parse("{\"keys\":[]}", 11, &set, err, sizeof(err)),
	    ERR_INVALID);
	jwks_release(&set);
	assert_int_equal(jwks_parse("[1]", 3, &set, err, sizeof(err)),
	                 ERR_INVALID);
	jwks_release(&set);
	EVP_PKEY_free(k);
}

/* ---- claims ---- */

static void test_times(void **state)
{
	const struct jwt_leeway lw = {60, 150, 150}, none = {0, 0, 0};
	char err[128];
	json_t *c;

	(void)state;
	c = json_pack("{si si si}", "exp", NOW - 100, "nbf", NOW + 100, "iat",
	              NOW);
	assert_int_equal(jwt_check_times(c, NOW, &lw, true, err, 128), ERR_OK);
	assert_int_equal(jwt_check_times(c, NOW, &none, true, err, 128),
	                 ERR_INVALID);
	json_decref(c);
	c = json_pack("{si}", "exp", NOW - 211);
	assert_int_equal(jwt_check_times(c, NOW, &lw, true, err, 128),
	                 ERR_INVALID);
	json_decref(c);
	c = json_pack("{si si}", "exp", NOW + 10, "iat", NOW + 61);
	assert_int_equal(jwt_check_times(c, NOW, &lw, true, err, 128),
	                 ERR_INVALID);
	json_decref(c);
	c = json_pack("{ss}", "exp", "later");
	assert_int_equal(jwt_check_times(c, NOW, &lw, true, err, 128),
	                 ERR_INVALID);
	json_decref(c);
	c = json_pack("{sf}", "exp", (double)NOW + 5.5);
	assert_int_equal(jwt_check_times(c, NOW, &none, true, err, 128),
	                 ERR_OK);
	json_decref(c);
	c = json_object();
	assert_int_equal(jwt_check_times(c, NOW, &lw, true, err, 128),
	                 ERR_INVALID);
	assert_int_equal(jwt_check_times(c, NOW, &lw, false, err, 128), ERR_OK);
	json_decref(c);
}

static void test_audience(void **state)
{
	json_t *bound = json_pack("[ss]", "coffer", "vault");
	json_t *empty = json_array();
	char err[128];
	json_t *c;

	(void)state;
	c = json_pack("{ss}", "aud", "vault");
	assert_int_equal(jwt_check_audience(c, bound, false, err, 128), ERR_OK);
	assert_int_equal(jwt_check_audience(c, empty, false, err, 128),
	                 ERR_INVALID);
	assert_int_equal(jwt_check_audience(c, empty, true, err, 128), ERR_OK);
	json_decref(c);
	c = json_pack("{s[ss]}", "aud", "x", "coffer");
	assert_int_equal(jwt_check_audience(c, bound, false, err, 128), ERR_OK);
	json_decref(c);
	c = json_pack("{s[ss]}", "aud", "x", "coffe");
	assert_int_equal(jwt_check_audience(c, bound, false, err, 128),
	                 ERR_INVALID);
	json_decref(c);
	c = json_pack("{si}", "aud", 1);
	assert_int_equal(jwt_check_audience(c, bound, false, err, 128),
	                 ERR_INVALID);
	json_decref(c);
	/* Bound audiences and a token without "aud": refused. */
	c = json_object();
	assert_int_equal(jwt_check_audience(c, bound, false, err, 128),
	                 ERR_INVALID);
	assert_int_equal(jwt_check_audience(c, empty, false, err, 128), ERR_OK);
	json_decref(c);
	json_decref(bound);
	json_decref(empty);
}

static void test_bound_claims(void **state)
{
	json_t *claims =
	    json_pack("{ss s[ss] si s{s[s]}}", "env", "prod-eu", "groups",
	              "dev", "ops", "n", 7, "nested", "a", "deep");
	json_t *b;
	char err[128];

	(void)state;
	b = json_pack("{ss}", "env", "prod-eu");
	assert_int_equal(jwt_check_bound_claims(claims, b, false, err, 128),
	                 ERR_OK);
	json_decref(b);
	b = json_pack("{ss}", "env", "prod*");
	assert_int_equal(jwt_check_bound_claims(claims, b, false, err, 128),
	                 ERR_INVALID);
	assert_int_equal(jwt_check_bound_claims(claims, b, true, err, 128),
	                 ERR_OK);
	json_decref(b);
	b = json_pack("{s[ss] ss}", "groups", "x", "ops", "n", "7");
	assert_int_equal(jwt_check_bound_claims(claims, b, false, err, 128),
	                 ERR_OK);
	json_decref(b);
	b = json_pack("{ss}", "/nested/a/0", "deep");
	assert_int_equal(jwt_check_bound_claims(claims, b, false, err, 128),
	                 ERR_OK);
	json_decref(b);
	b = json_pack("{ss}", "missing", "x");
	assert_int_equal(jwt_check_bound_claims(claims, b, true, err, 128),
	                 ERR_INVALID);
	json_decref(b);
	json_decref(claims);
}

static void test_glob(void **state)
{
	(void)state;
	assert_true(jwt_glob_match("*", ""));
	assert_true(jwt_glob_match("a*c", "abbbc"));
	assert_true(jwt_glob_match("*.example.com", "web.example.com"));
	assert_true(jwt_glob_match("a*b*c", "aXbYc"));
	assert_false(jwt_glob_match("a*c", "abcd"));
	assert_false(jwt_glob_match("abc", "ab"));
	assert_false(jwt_glob_match("", "a"));
	/* Many stars on a long mismatch must still end quickly. */
	assert_false(jwt_glob_match(
	    "*a*a*a*a*a*a*a*a*b", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"));
}

/*
 * The jwt, kubernetes and cert roles' CIDR checks are core/cidr.c's now;
 * these are the cases the former roletok_cidr_match was held to. Without
 * an address only the block's syntax is checked.
 */
static bool cidr_match(const char *block, const char *addr)
{
	struct cidr c;

	return cidr_parse(block, &c) &&
	       (addr == NULL || cidr_contains(&c, addr));
}

static void test_cidr(void **state)
{
	(void)state;
	assert_true(cidr_match("10.0.0.0/8", "10.1.2.3"));
	assert_false(cidr_match("10.0.0.0/8", "11.0.0.1"));
	assert_true(cidr_match("127.0.0.1", "127.0.0.1"));
	assert_true(cidr_match("::1/128", "::1"));
	assert_false(cidr_match("::1/128", "127.0.0.1"));
	assert_true(cidr_match("0.0.0.0/0", "8.8.8.8"));
	assert_false(cidr_match("10.0.0.0/33", NULL));
	assert_false(cidr_match("10.0.0.0/", NULL));
	assert_false(cidr_match("nope", NULL));
	assert_true(cidr_match("192.168.0.0/16", NULL));
}

static void test_k8s_identity(void **state)
{
	struct k8s_identity id;
	json_t *c;

	(void)state;
	c = json_pack("{ss ss ss}", "kubernetes.io/serviceaccount/namespace",
	              "apps",
	              "kubernetes.io/serviceaccount/service-account.name",
	              "web", "sub", "system:serviceaccount:apps:web");
	assert_int_equal(k8s_identity_read(c, &id), ERR_OK);
	assert_string_equal(id.name, "web");
	assert_string_equal(id.ns, "apps");
	json_object_set_new(c, "sub",
	                    json_string("system:serviceaccount:apps:root"));
	assert_int_equal(k8s_identity_read(c, &id), ERR_INVALID);
	json_decref(c);
	c = json_pack("{s{ss s{ss ss}}}", "kubernetes.io", "namespace", "ops",
	              "serviceaccount", "name", "job", "uid", "u-1");
	assert_int_equal(k8s_identity_read(c, &id), ERR_OK);
	assert_string_equal(id.uid, "u-1");
	json_decref(c);
	c = json_pack("{ss}", "sub", "x");
	assert_int_equal(k8s_identity_read(c, &id), ERR_INVALID);
	json_decref(c);
}

static void test_cli_bodies(void **state)
{
	char path[] = "/tmp/coffer-jwt-XXXXXX";
	char arg[64];
	char *args[3];
	struct buf msg = BUF_INIT;
	json_t *body = NULL;
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "aaa.bbb.ccc\n", 12), 12);
	close(fd);
	snprintf(arg, sizeof(arg), "jwt=@%s", path);
	args[0] = "role=ci";
	args[1] = arg;
	assert_int_equal(login_machine_body("jwt", 2, args, &body, &msg),
	                 ERR_OK);
	assert_string_equal(json_string_value(json_object_get(body, "jwt")),
	                    "aaa.bbb.ccc");
	assert_string_equal(json_string_value(json_object_get(body, "role")),
	                    "ci");
	json_decref(body);
	unlink(path);
	assert_int_equal(login_machine_body("jwt", 1, args, &body, &msg),
	                 ERR_INVALID);
	assert_int_equal(login_machine_body("jwt", 2, args, &body, &msg),
	                 ERR_INVALID); /* the file is gone */
	args[0] = "name=web";
	assert_int_equal(login_machine_body("cert", 1, args, &body, &msg),
	                 ERR_OK);
	assert_string_equal(json_string_value(json_object_get(body, "name")),
	                    "web");
	json_decref(body);
	args[0] = "jwt=x";
	assert_int_equal(login_machine_body("cert", 1, args, &body, &msg),
	                 ERR_INVALID);
	assert_int_equal(login_machine_body("ldap", 0, args, &body, &msg),
	                 ERR_INVALID);
	buf_release(&msg);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(test_b64url),
	    cmocka_unit_test(test_parse_shapes),
	    cmocka_unit_test(test_verify_every_alg),
	    cmocka_unit_test(test_alg_key_mismatch),
	    cmocka_unit_test(test_pem_keys),
	    cmocka_unit_test(test_jwk_keys),
	    cmocka_unit_test(test_jwk_bad),
	    cmocka_unit_test(test_jwks_parse),
	    cmocka_unit_test(test_times),
	    cmocka_unit_test(test_audience),
	    cmocka_unit_test(test_bound_claims),
	    cmocka_unit_test(test_glob),
	    cmocka_unit_test(test_cidr),
	    cmocka_unit_test(test_k8s_identity),
	    cmocka_unit_test(test_cli_bodies),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}

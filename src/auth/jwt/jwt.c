/*
 * jwt.c - compact JWS parsing and signature verification.
 *
 * The signature is checked over the exact bytes received ("<header>.
 * <payload>"), never over a re-encoding. ECDSA signatures arrive in the
 * JOSE form (r and s as fixed-size big-endian halves) and are turned into
 * the DER that OpenSSL verifies; RSA-PSS uses a salt as long as the
 * digest (RFC 7518 section 3.5).
 */
#include "auth/jwt/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define RSA_MIN_BITS 2048

static const struct {
	const char *name;
	enum jwt_alg alg;
} alg_names[] = {
    {"RS256", JWT_RS256}, {"RS384", JWT_RS384}, {"RS512", JWT_RS512},
    {"PS256", JWT_PS256}, {"PS384", JWT_PS384}, {"PS512", JWT_PS512},
    {"ES256", JWT_ES256}, {"ES384", JWT_ES384}, {"ES512", JWT_ES512},
    {"EdDSA", JWT_EDDSA},
};

enum jwt_alg jwt_alg_from_name(const char *name)
{
	size_t i;

	if (name == NULL)
		return JWT_ALG_UNKNOWN;
	for (i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (strcmp(alg_names[i].name, name) == 0)
			return alg_names[i].alg;
	return JWT_ALG_UNKNOWN;
}

const char *jwt_alg_name(enum jwt_alg alg)
{
	size_t i;

	for (i = 0; i < sizeof(alg_names) / sizeof(alg_names[0]); i++)
		if (alg_names[i].alg == alg)
			return alg_names[i].name;
	return "unknown";
}

static int b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

err_t jwt_b64url_decode(const char *s, size_t n, struct buf *out)
{
	uint32_t acc = 0;
	int bits = 0, v;
	size_t i;
	err_t rc;

	/* One character alone can carry no whole byte. */
	if (n % 4 == 1)
		return ERR_INVALID;
	rc = buf_reserve(out, n / 4 * 3 + 3);
	if (rc != ERR_OK)
		return rc;
	for (i = 0; i < n; i++) {
		v = b64url_value((unsigned char)s[i]);
		if (v < 0)
			return ERR_INVALID;
		acc = (acc << 6) | (uint32_t)v;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out->data[out->len++] = (uint8_t)(acc >> bits);
			acc &= (1u << bits) - 1;
		}
	}
	/* Leftover bits must be zero, so that one value has one encoding. */
	if (acc != 0)
		return ERR_INVALID;
	out->data[out->len] = 0;
	return ERR_OK;
}

char *jwt_b64url_encode(const uint8_t *p, size_t n)
{
	static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	                               "abcdefghijklmnopqrstuvwxyz"
	                               "0123456789-_";
	struct buf b = BUF_INIT;
	uint32_t acc = 0;
	int bits = 0;
	size_t i;

	if (buf_reserve(&b, n / 3 * 4 + 5) != ERR_OK)
		return NULL;
	for (i = 0; i < n; i++) {
		acc = (acc << 8) | p[i];
		bits += 8;
		while (bits >= 6) {
			bits -= 6;
			b.data[b.len++] = (uint8_t)alphabet[(acc >> bits) & 63];
		}
		acc &= (1u << bits) - 1;
	}
	if (bits > 0)
		b.data[b.len++] = (uint8_t)alphabet[(acc << (6 - bits)) & 63];
	b.data[b.len] = 0;
	return buf_detach(&b);
}

/* Decodes one part and parses it as a JSON object. */
static err_t decode_object(const char *s, size_t n, size_t max,
                           const char *what, json_t **out, char *err,
                           size_t errlen)
{
	struct buf raw;
	json_error_t jerr;
	err_t rc;

	buf_init(&raw, max);
	rc = jwt_b64url_decode(s, n, &raw);
	if (rc == ERR_TOO_LARGE) {
		snprintf(err, errlen, "token %s is too large", what);
		goto out;
	}
	if (rc != ERR_OK) {
		snprintf(err, errlen, "token %s is not valid base64url", what);
		rc = ERR_INVALID;
		goto out;
	}
	*out = json_loadb((const char *)raw.data, raw.len,
	                  JSON_REJECT_DUPLICATES, &jerr);
	if (*out == NULL || !json_is_object(*out)) {
		json_decref(*out);
		*out = NULL;
		snprintf(err, errlen, "token %s is not a JSON object", what);
		rc = ERR_INVALID;
	}
out:
	buf_release(&raw);
	return rc == ERR_TOO_LARGE ? ERR_INVALID : rc;
}

/* Reads alg, kid and crit from the parsed header. */
static err_t read_header(struct jwt *t, char *err, size_t errlen)
{
	json_t *alg = json_object_get(t->header, "alg");
	json_t *kid = json_object_get(t->header, "kid");

	if (!json_is_string(alg)) {
		snprintf(err, errlen, "token header has no \"alg\"");
		return ERR_INVALID;
	}
	t->alg_name = json_string_value(alg);
	t->alg = jwt_alg_from_name(t->alg_name);
	if (t->alg == JWT_ALG_UNKNOWN) {
		/* "none" and HS* land here: never accepted. */
		snprintf(err, errlen, "token algorithm is not supported");
		return ERR_INVALID;
	}
	if (kid != NULL && !json_is_string(kid)) {
		snprintf(err, errlen, "token \"kid\" is not a string");
		return ERR_INVALID;
	}
	t->kid = kid ? json_string_value(kid) : NULL;
	/* RFC 7515 4.1.11: extensions we do not know must be refused. */
	if (json_object_get(t->header, "crit") != NULL) {
		snprintf(err, errlen, "token header has unsupported \"crit\"");
		return ERR_INVALID;
	}
	return ERR_OK;
}

err_t jwt_parse(const char *token, size_t len, struct jwt *t, char *err,
                size_t errlen)
{
	const char *dot1, *dot2;
	size_t hlen, plen, slen;
	err_t rc;

	buf_init(&t->signing_input, JWT_MAX_TOKEN);
	buf_init(&t->signature, 1024);
	if (token == NULL || len == 0) {
		snprintf(err, errlen, "missing token");
		return ERR_INVALID;
	}
	if (len > JWT_MAX_TOKEN) {
		snprintf(err, errlen, "token is longer than %zu bytes",
		         JWT_MAX_TOKEN);
		return ERR_INVALID;
	}
	dot1 = memchr(token, '.', len);
	dot2 = dot1 ? memchr(dot1 + 1, '.', len - (size_t)(dot1 + 1 - token))
	            : NULL;
	if (dot2 == NULL ||
	    memchr(dot2 + 1, '.', len - (size_t)(dot2 + 1 - token)) != NULL) {
		snprintf(err, errlen, "token is not a compact JWS of 3 parts");
		return ERR_INVALID;
	}
	hlen = (size_t)(dot1 - token);
	plen = (size_t)(dot2 - dot1 - 1);
	slen = len - (size_t)(dot2 + 1 - token);

	rc = decode_object(token, hlen, JWT_MAX_HEADER, "header", &t->header,
	                   err, errlen);
	if (rc == ERR_OK)
		rc = read_header(t, err, errlen);
	if (rc == ERR_OK)
		rc = decode_object(dot1 + 1, plen, JWT_MAX_TOKEN, "payload",
		                   &t->claims, err, errlen);
	if (rc != ERR_OK)
		return rc;
	if (slen == 0 || jwt_b64url_decode(dot2 + 1, slen, &t->signature)) {
		snprintf(err, errlen,
		         "token signature is missing or not "
		         "valid base64url");
		return ERR_INVALID;
	}
	if (buf_append(&t->signing_input, token, (size_t)(dot2 - token)))
		return ERR_NOMEM;
	return ERR_OK;
}

void jwt_release(struct jwt *t)
{
	if (t == NULL)
		return;
	json_decref(t->header);
	json_decref(t->claims);
	buf_release(&t->signing_input);
	buf_release(&t->signature);
	t->header = NULL;
	t->claims = NULL;
	t->alg_name = NULL;
	t->kid = NULL;
}

static const EVP_MD *alg_digest(enum jwt_alg alg)
{
	switch (alg) {
	case JWT_RS256:
	case JWT_PS256:
	case JWT_ES256:
		return EVP_sha256();
	case JWT_RS384:
	case JWT_PS384:
	case JWT_ES384:
		return EVP_sha384();
	case JWT_RS512:
	case JWT_PS512:
	case JWT_ES512:
		return EVP_sha512();
	default:
		return NULL;
	}
}

/* The curve an ES algorithm needs, and the size of one half of r||s. */
static const char *alg_curve(enum jwt_alg alg, size_t *half)
{
	switch (alg) {
	case JWT_ES256:
		*half = 32;
		return "prime256v1";
	case JWT_ES384:
		*half = 48;
		return "secp384r1";
	case JWT_ES512:
		*half = 66;
		return "secp521r1";
	default:
		*half = 0;
		return NULL;
	}
}

static bool alg_is_rsa(enum jwt_alg alg)
{
	return alg >= JWT_RS256 && alg <= JWT_PS512;
}

bool jwt_key_fits(EVP_PKEY *key, enum jwt_alg alg)
{
	char group[64];
	const char *curve;
	size_t half;

	if (key == NULL)
		return false;
	if (alg_is_rsa(alg))
		return EVP_PKEY_is_a(key, "RSA") &&
		       EVP_PKEY_get_bits(key) >= RSA_MIN_BITS;
	if (alg == JWT_EDDSA)
		return EVP_PKEY_is_a(key, "ED25519");
	curve = alg_curve(alg, &half);
	if (curve == NULL || !EVP_PKEY_is_a(key, "EC"))
		return false;
	if (EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
	                                   group, sizeof(group), NULL) != 1)
		return false;
	return strcmp(group, curve) == 0;
}

/* JOSE r||s to the DER ECDSA-Sig-Value OpenSSL verifies. */
static err_t ecdsa_der(const struct buf *sig, size_t half, struct buf *der)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *p = NULL;
	err_t rc = ERR_INVALID;
	int n;

	if (es == NULL || sig->len != 2 * half)
		goto out;
	r = BN_bin2bn(sig->data, (int)half, NULL);
	s = BN_bin2bn(sig->data + half, (int)half, NULL);
	if (r == NULL || s == NULL || ECDSA_SIG_set0(es, r, s) != 1)
		goto out;
	r = s = NULL;
	n = i2d_ECDSA_SIG(es, &p);
	if (n <= 0)
		goto out;
	rc = buf_append(der, p, (size_t)n);
out:
	OPENSSL_free(p);
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

/* One EVP verification of sig over the signing input. */
static bool evp_verify(const struct jwt *t, EVP_PKEY *key, const uint8_t *sig,
                       size_t siglen)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const EVP_MD *digest = alg_digest(t->alg);
	bool ok = false;

	if (md == NULL)
		goto out;
	if (EVP_DigestVerifyInit(md, &pctx, digest, NULL, key) != 1)
		goto out;
	if (t->alg >= JWT_PS256 && t->alg <= JWT_PS512 &&
	    (EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) != 1 ||
	     EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, RSA_PSS_SALTLEN_DIGEST) !=
	         1))
		goto out;
	ok = EVP_DigestVerify(md, sig, siglen, t->signing_input.data,
	                      t->signing_input.len) == 1;
out:
	EVP_MD_CTX_free(md);
	ERR_clear_error();
	return ok;
}

err_t jwt_verify(const struct jwt *t, EVP_PKEY *key, char *err, size_t errlen)
{
	struct buf der = BUF_INIT;
	size_t half;
	bool ok;

	if (!jwt_key_fits(key, t->alg)) {
		snprintf(err, errlen,
		         "token algorithm %s does not fit the key's type",
		         jwt_alg_name(t->alg));
		return ERR_INVALID;
	}
	if (alg_curve(t->alg, &half) != NULL) {
		ok = ecdsa_der(&t->signature, half, &der) == ERR_OK &&
		     evp_verify(t, key, der.data, der.len);
	} else {
		ok = evp_verify(t, key, t->signature.data, t->signature.len);
	}
	buf_release(&der);
	if (!ok) {
		snprintf(err, errlen, "failed to verify id token signature");
		return ERR_INVALID;
	}
	return ERR_OK;
}

/* Any PEM public key form OpenSSL decodes: SPKI, PKCS#1 RSA. */
static EVP_PKEY *decode_public_pem(BIO *bio)
{
	OSSL_DECODER_CTX *dctx;
	EVP_PKEY *key = NULL;

	dctx = OSSL_DECODER_CTX_new_for_pkey(&key, "PEM", NULL, NULL,
	                                     EVP_PKEY_PUBLIC_KEY, NULL, NULL);
	if (dctx != NULL && OSSL_DECODER_from_bio(dctx, bio) != 1) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	OSSL_DECODER_CTX_free(dctx);
	return key;
}

err_t jwt_pem_public_key(const char *pem, EVP_PKEY **out)
{
	BIO *bio = BIO_new_mem_buf(pem, -1);
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;

	if (bio == NULL)
		return ERR_NOMEM;
	key = decode_public_pem(bio);
	if (key == NULL) {
		(void)BIO_reset(bio);
		cert = PEM_read_bio_X509(bio, NULL, NULL, NULL);
		key = cert ? X509_get_pubkey(cert) : NULL;
	}
	X509_free(cert);
	BIO_free(bio);
	ERR_clear_error();
	if (key == NULL)
		return ERR_INVALID;
	*out = key;
	return ERR_OK;
}

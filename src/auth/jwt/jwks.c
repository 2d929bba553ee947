/*
 * jwks.c - JSON Web Keys (RFC 7517, 7518 section 6, RFC 8037) into
 * OpenSSL public keys.
 *
 * Keys are built from their parameters with EVP_PKEY_fromdata; an EC point
 * is checked to lie on its curve by OpenSSL while it is decoded, and its
 * coordinates must have exactly the curve's length.
 */
#include "auth/jwt/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/err.h>
#include <openssl/param_build.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Longest RSA modulus accepted: 16384 bits. */
#define JWK_MAX_FIELD 2048

/* Decodes the base64url member name of jwk into out. */
static err_t jwk_bytes(json_t *jwk, const char *name, struct buf *out)
{
	json_t *v = json_object_get(jwk, name);

	if (!json_is_string(v))
		return ERR_INVALID;
	buf_init(out, JWK_MAX_FIELD);
	if (jwt_b64url_decode(json_string_value(v), json_string_length(v),
	                      out) != ERR_OK ||
	    out->len == 0)
		return ERR_INVALID;
	return ERR_OK;
}

/* Runs EVP_PKEY_fromdata for a public key of type with params. */
static EVP_PKEY *from_params(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	OSSL_PARAM *params = bld ? OSSL_PARAM_BLD_to_param(bld) : NULL;
	EVP_PKEY *key = NULL;

	if (ctx != NULL && params != NULL && EVP_PKEY_fromdata_init(ctx) == 1 &&
	    EVP_PKEY_fromdata(ctx, &key, EVP_PKEY_PUBLIC_KEY, params) != 1)
		key = NULL;
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	return key;
}

static EVP_PKEY *rsa_key(json_t *jwk)
{
	struct buf n = BUF_INIT, e = BUF_INIT;
	BIGNUM *bn = NULL, *be = NULL;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;

	if (jwk_bytes(jwk, "n", &n) != ERR_OK ||
	    jwk_bytes(jwk, "e", &e) != ERR_OK || e.len > 8)
		goto out;
	bn = BN_bin2bn(n.data, (int)n.len, NULL);
	be = BN_bin2bn(e.data, (int)e.len, NULL);
	bld = OSSL_PARAM_BLD_new();
	if (bn == NULL || be == NULL || bld == NULL ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, bn) != 1 ||
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, be) != 1)
		goto out;
	key = from_params("RSA", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	BN_free(bn);
	BN_free(be);
	buf_release(&n);
	buf_release(&e);
	return key;
}

static const char *ec_group(const char *crv, size_t *len)
{
	if (strcmp(crv, "P-256") == 0) {
		*len = 32;
		return "prime256v1";
	}
	if (strcmp(crv, "P-384") == 0) {
		*len = 48;
		return "secp384r1";
	}
	if (strcmp(crv, "P-521") == 0) {
		*len = 66;
		return "secp521r1";
	}
	return NULL;
}

static EVP_PKEY *ec_key(json_t *jwk, const char *crv)
{
	struct buf x = BUF_INIT, y = BUF_INIT, point = BUF_INIT;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;
	const char *group;
	size_t len;

	group = ec_group(crv, &len);
	if (group == NULL || jwk_bytes(jwk, "x", &x) != ERR_OK ||
	    jwk_bytes(jwk, "y", &y) != ERR_OK || x.len != len || y.len != len)
		goto out;
	/* The uncompressed SEC 1 point: 0x04 || x || y. */
	if (buf_append_byte(&point, 4) || buf_append(&point, x.data, len) ||
	    buf_append(&point, y.data, len))
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
	                                    group, 0) != 1 ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	                                     point.data, point.len) != 1)
		goto out;
	key = from_params("EC", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	buf_release(&x);
	buf_release(&y);
	buf_release(&point);
	return key;
}

static EVP_PKEY *okp_key(json_t *jwk, const char *crv)
{
	struct buf x = BUF_INIT;
	OSSL_PARAM_BLD *bld = NULL;
	EVP_PKEY *key = NULL;

	if (strcmp(crv, "Ed25519") != 0 || jwk_bytes(jwk, "x", &x) != ERR_OK ||
	    x.len != 32)
		goto out;
	bld = OSSL_PARAM_BLD_new();
	if (bld == NULL ||
	    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
	                                     x.data, x.len) != 1)
		goto out;
	key = from_params("ED25519", bld);
out:
	OSSL_PARAM_BLD_free(bld);
	buf_release(&x);
	return key;
}

err_t jwks_key_from_jwk(json_t *jwk, EVP_PKEY **out, char *err, size_t errlen)
{
	const char *kty = json_string_value(json_object_get(jwk, "kty"));
	const char *crv = json_string_value(json_object_get(jwk, "crv"));
	EVP_PKEY *key = NULL;

	if (!json_is_object(jwk) || kty == NULL) {
		snprintf(err, errlen, "key has no \"kty\"");
		return ERR_INVALID;
	}
	if (strcmp(kty, "RSA") == 0)
		key = rsa_key(jwk);
	else if (strcmp(kty, "EC") == 0 && crv != NULL)
		key = ec_key(jwk, crv);
	else if (strcmp(kty, "OKP") == 0 && crv != NULL)
		key = okp_key(jwk, crv);
	ERR_clear_error();
	if (key == NULL) {
		snprintf(err, errlen, "key of type %.16s is not usable", kty);
		return ERR_INVALID;
	}
	*out = key;
	return ERR_OK;
}

/* Adds the JWK at jwk to set; unusable keys are skipped, not errors. */
static err_t add_key(struct jwks *set, json_t *jwk)
{
	const char *use = json_string_value(json_object_get(jwk, "use"));
	json_t *kid = json_object_get(jwk, "kid");
	json_t *alg = json_object_get(jwk, "alg");
	struct jwks_key *k;
	EVP_PKEY *pkey;
	char err[128];

	if (set->len >= JWKS_MAX_KEYS || (use != NULL && strcmp(use, "sig")))
		return ERR_OK;
	if ((kid != NULL && !json_is_string(kid)) ||
	    (alg != NULL && !json_is_string(alg)))
		return ERR_OK;
	/* A JWK may only sign with the algorithm it names, if any. */
	if (alg != NULL &&
	    jwt_alg_from_name(json_string_value(alg)) == JWT_ALG_UNKNOWN)
		return ERR_OK;
	if (jwks_key_from_jwk(jwk, &pkey, err, sizeof(err)) != ERR_OK)
		return ERR_OK;
	k = &set->keys[set->len];
	k->pkey = pkey;
	k->alg =
	    alg ? jwt_alg_from_name(json_string_value(alg)) : JWT_ALG_UNKNOWN;
	k->kid = kid ? strdup(json_string_value(kid)) : NULL;
	if (kid != NULL && k->kid == NULL) {
		EVP_PKEY_free(pkey);
		return ERR_NOMEM;
	}
	set->len++;
	return ERR_OK;
}

err_t jwks_parse(const char *doc, size_t len, struct jwks *set, char *err,
                 size_t errlen)
{
	json_error_t jerr;
	json_t *root = NULL, *keys, *jwk;
	size_t i;
	err_t rc = ERR_INVALID;

	if (len > JWKS_MAX_DOC) {
		snprintf(err, errlen, "key set is larger than %zu bytes",
		         JWKS_MAX_DOC);
		goto out;
	}
	root = json_loadb(doc, len, JSON_REJECT_DUPLICATES, &jerr);
	keys = json_object_get(root, "keys");
	if (!json_is_array(keys)) {
		snprintf(err, errlen,
		         "key set is not a JSON object with "
		         "a \"keys\" array");
		goto out;
	}
	set->keys = calloc(JWKS_MAX_KEYS, sizeof(*set->keys));
	if (set->keys == NULL) {
		rc = ERR_NOMEM;
		goto out;
	}
	json_array_foreach(keys, i, jwk)
	{
		if (json_is_object(jwk) && add_key(set, jwk) != ERR_OK) {
			rc = ERR_NOMEM;
			goto out;
		}
	}
	if (set->len == 0) {
		snprintf(err, errlen, "key set holds no usable signing key");
		goto out;
	}
	rc = ERR_OK;
out:
	json_decref(root);
	return rc;
}

void jwks_release(struct jwks *set)
{
	size_t i;

	if (set == NULL)
		return;
	for (i = 0; i < set->len; i++) {
		free(set->keys[i].kid);
		EVP_PKEY_free(set->keys[i].pkey);
	}
	free(set->keys);
	set->keys = NULL;
	set->len = 0;
}

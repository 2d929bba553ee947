/*
 * cert_verify.c - whether a client's certificate chain is trusted by a
 * role, and whether its names fit the role's constraints.
 */
#include "auth/cert/cert_internal.h"

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt/jwt.h"
#include "base/encoding.h"

/* The most certificates read from one PEM text. */
#define PEM_MAX_CERTS 16

STACK_OF(X509) * cert_pem_stack(const char *pem)
{
	STACK_OF(X509) *st = sk_X509_new_null();
	BIO *bio = pem ? BIO_new_mem_buf(pem, -1) : NULL;
	X509 *x;

	while (st != NULL && bio != NULL && sk_X509_num(st) < PEM_MAX_CERTS &&
	       (x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL)
		if (sk_X509_push(st, x) <= 0)
			X509_free(x);
	BIO_free(bio);
	ERR_clear_error();
	if (st != NULL && sk_X509_num(st) == 0) {
		sk_X509_free(st);
		st = NULL;
	}
	return st;
}

err_t cert_chain_parse(const char *pem, struct cert_chain *out)
{
	STACK_OF(X509) *all = cert_pem_stack(pem);

	out->leaf = NULL;
	out->rest = NULL;
	if (all == NULL)
		return ERR_INVALID;
	out->leaf = sk_X509_shift(all);
	out->rest = all;
	return ERR_OK;
}

void cert_chain_release(struct cert_chain *ch)
{
	if (ch == NULL)
		return;
	X509_free(ch->leaf);
	sk_X509_pop_free(ch->rest, X509_free);
	ch->leaf = NULL;
	ch->rest = NULL;
}

/* Only an explicit basicConstraints CA:TRUE makes a trust anchor. */
static bool is_ca(X509 *x)
{
	return (X509_get_extension_flags(x) & EXFLAG_CA) != 0;
}

static bool same_der(X509 *a, X509 *b)
{
	unsigned char *da = NULL, *db = NULL;
	int na = i2d_X509(a, &da), nb = i2d_X509(b, &db);
	bool same = na > 0 && na == nb && memcmp(da, db, (size_t)na) == 0;

	OPENSSL_free(da);
	OPENSSL_free(db);
	return same;
}

static bool in_validity(X509 *x)
{
	return X509_cmp_current_time(X509_get0_notBefore(x)) < 0 &&
	       X509_cmp_current_time(X509_get0_notAfter(x)) > 0;
}

/* X509_verify_cert of the client's chain against the anchors. */
static bool chains_to(const struct cert_chain *ch, STACK_OF(X509) * anchors)
{
	X509_STORE *store = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = false;
	int i;

	if (store == NULL || ctx == NULL)
		goto out;
	for (i = 0; i < sk_X509_num(anchors); i++)
		if (X509_STORE_add_cert(store, sk_X509_value(anchors, i)) != 1)
			goto out;
	/* A trusted intermediate CA is an anchor of its own. */
	X509_STORE_set_flags(store, X509_V_FLAG_PARTIAL_CHAIN);
	if (X509_STORE_CTX_init(ctx, store, ch->leaf, ch->rest) != 1 ||
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_CLIENT) != 1)
		goto out;
	ok = X509_verify_cert(ctx) == 1;
out:
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(store);
	ERR_clear_error();
	return ok;
}

bool cert_trusted(const struct cert_chain *ch, json_t *role)
{
	const char *pem =
	    json_string_value(json_object_get(role, "certificate"));
	STACK_OF(X509) *trusted = cert_pem_stack(pem);
	STACK_OF(X509) *anchors = sk_X509_new_null();
	bool ok = false;
	X509 *t;
	int i;

	for (i = 0;
	     trusted != NULL && anchors != NULL && i < sk_X509_num(trusted);
	     i++) {
		t = sk_X509_value(trusted, i);
		if (is_ca(t))
			sk_X509_push(anchors, t);
		else if (same_der(t, ch->leaf) && in_validity(ch->leaf))
			ok = true;
	}
	if (!ok && anchors != NULL && sk_X509_num(anchors) > 0)
		ok = chains_to(ch, anchors);
	sk_X509_free(anchors); /* borrowed from trusted */
	sk_X509_pop_free(trusted, X509_free);
	return ok;
}

/* Whether text matches one glob of the list. */
static bool glob_any(json_t *globs, const char *text)
{
	json_t *g;
	size_t i;

	json_array_foreach(globs, i, g)
	{
		if (json_is_string(g) &&
		    jwt_glob_match(json_string_value(g), text))
			return true;
	}
	return false;
}

static bool asn1_text_matches(json_t *globs, const ASN1_STRING *s)
{
	unsigned char *utf8 = NULL;
	int n = ASN1_STRING_to_UTF8(&utf8, s);
	bool ok;

	/* A NUL inside the name must not cut it short. */
	ok = n >= 0 && memchr(utf8, 0, (size_t)n) == NULL &&
	     glob_any(globs, (const char *)utf8);
	OPENSSL_free(utf8);
	return ok;
}

static bool subject_matches(X509 *leaf, int nid, json_t *globs)
{
	X509_NAME *subj = X509_get_subject_name(leaf);
	int i = -1;

	if (json_array_size(globs) == 0)
		return true;
	while ((i = X509_NAME_get_index_by_NID(subj, nid, i)) >= 0)
		if (asn1_text_matches(globs, X509_NAME_ENTRY_get_data(
		                                 X509_NAME_get_entry(subj, i))))
			return true;
	return false;
}

static bool san_matches(X509 *leaf, int type, json_t *globs)
{
	GENERAL_NAMES *sans;
	bool ok = false;
	int i, t;

	if (json_array_size(globs) == 0)
		return true;
	sans = X509_get_ext_d2i(leaf, NID_subject_alt_name, NULL, NULL);
	for (i = 0; !ok && i < sk_GENERAL_NAME_num(sans); i++) {
		GENERAL_NAME *gn = sk_GENERAL_NAME_value(sans, i);
		ASN1_STRING *s = GENERAL_NAME_get0_value(gn, &t);
		if (t == type)
			ok = asn1_text_matches(globs, s);
	}
	GENERAL_NAMES_free(sans);
	return ok;
}

bool cert_constraints_ok(X509 *leaf, json_t *role)
{
	return subject_matches(leaf, NID_commonName,
	                       json_object_get(role, "allowed_common_names")) &&
	       subject_matches(
	           leaf, NID_organizationalUnitName,
	           json_object_get(role, "allowed_organizational_units")) &&
	       san_matches(leaf, GEN_DNS,
	                   json_object_get(role, "allowed_dns_sans")) &&
	       san_matches(leaf, GEN_EMAIL,
	                   json_object_get(role, "allowed_email_sans")) &&
	       san_matches(leaf, GEN_URI,
	                   json_object_get(role, "allowed_uri_sans"));
}

err_t cert_fingerprint(X509 *leaf, struct buf *out)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	char *hex;
	err_t rc;

	if (X509_digest(leaf, EVP_sha256(), md, &n) != 1)
		return ERR_INTERNAL;
	hex = hex_encode(md, n);
	if (hex == NULL)
		return ERR_NOMEM;
	rc = buf_append_str(out, hex);
	free(hex);
	return rc;
}

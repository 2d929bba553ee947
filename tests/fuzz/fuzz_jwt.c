/*
 * fuzz_jwt.c - arbitrary bytes through the JWT and JWKS parsers. The first
 * byte picks the parser: even, a compact token (parsed, its signature
 * checked against a fixed EC and Ed25519 key, its claims run through the
 * time, audience, bound-claim and service-account checks); odd, a JSON
 * Web Key Set. Rejection is fine; a crash, leak, sanitizer report or an
 * accepted signature is a bug.
 */
#include <openssl/ec.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/jwt/jwt.h"
#include "auth/kubernetes/kubernetes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static EVP_PKEY *ec_key, *ed_key;

static void keys_once(void)
{
	if (ec_key == NULL)
		ec_key = EVP_EC_gen("P-256");
	if (ed_key == NULL)
		ed_key = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
}

static void claims_checks(json_t *claims)
{
	const struct jwt_leeway lw = {60, 150, 150};
	json_t *aud = json_pack("[ss]", "coffer", "vault");
	json_t *bound =
	    json_pack("{s[ss] ss}", "groups", "a*", "*b", "/x/0/y", "z*");
	struct k8s_identity id;
	struct buf text = BUF_INIT;
	char err[256];

	jwt_check_times(claims, 1700000000, &lw, true, err, sizeof(err));
	jwt_check_audience(claims, aud, false, err, sizeof(err));
	jwt_check_bound_claims(claims, bound, true, err, sizeof(err));
	jwt_check_bound_claims(claims, bound, false, err, sizeof(err));
	k8s_identity_read(claims, &id);
	jwt_claim_text(jwt_claim(claims, "/a/b~1c/3"), &text);
	buf_release(&text);
	json_decref(aud);
	json_decref(bound);
}

static void fuzz_token(const char *s, size_t n)
{
	struct jwt t;
	char err[256];

	memset(&t, 0, sizeof(t));
	if (jwt_parse(s, n, &t, err, sizeof(err)) == ERR_OK) {
		keys_once();
		/* Nobody but the key's holder can sign: never accepted. */
		if (jwt_verify(&t, ec_key, err, sizeof(err)) == ERR_OK ||
		    jwt_verify(&t, ed_key, err, sizeof(err)) == ERR_OK)
			abort();
		claims_checks(t.claims);
	}
	jwt_release(&t);
}

static void fuzz_jwks(const char *s, size_t n)
{
	struct jwks set = {NULL, 0};
	char err[256];
	size_t i;

	if (jwks_parse(s, n, &set, err, sizeof(err)) == ERR_OK) {
		if (set.len == 0)
			abort();
		for (i = 0; i < set.len; i++)
			jwt_key_fits(set.keys[i].pkey, JWT_ES256);
	}
	jwks_release(&set);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size == 0)
		return 0;
	if (data[0] % 2 == 0)
		fuzz_token((const char *)data + 1, size - 1);
	else
		fuzz_jwks((const char *)data + 1, size - 1);
	return 0;
}

/*
 * jwt.h - compact JSON Web Tokens (RFC 7519, JWS compact form of RFC
 * 7515): parsing, signature verification with OpenSSL EVP, JSON Web Key
 * sets, and the claim checks the jwt and kubernetes auth methods share.
 *
 * The token is input from anyone on the network, so everything here is
 * strict: base64url without padding and with canonical trailing bits,
 * exactly three parts, header and payload JSON objects without duplicate
 * keys, sizes capped. Only asymmetric algorithms exist: "none" and the
 * HMAC family are refused outright, so a public key can never be used as
 * an HMAC secret, and the algorithm must fit the key's type and curve.
 *
 * Error messages written into err never contain the token or any part of
 * it, so a caller may return them to the client.
 */
#ifndef COFFER_AUTH_JWT_JWT_H
#define COFFER_AUTH_JWT_JWT_H

#include <jansson.h>
#include <openssl/evp.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

/* Longest compact token accepted (OIDC tokens with many groups are big). */
#define JWT_MAX_TOKEN ((size_t)64 << 10)
/* Longest decoded header: a few short fields. */
#define JWT_MAX_HEADER ((size_t)4 << 10)
/* Longest JSON Web Key Set document. */
#define JWKS_MAX_DOC ((size_t)1 << 20)
/* Most keys kept from one set; the rest are ignored. */
#define JWKS_MAX_KEYS 64

enum jwt_alg {
	JWT_ALG_UNKNOWN = 0,
	JWT_RS256,
	JWT_RS384,
	JWT_RS512,
	JWT_PS256,
	JWT_PS384,
	JWT_PS512,
	JWT_ES256,
	JWT_ES384,
	JWT_ES512,
	JWT_EDDSA,
};

struct jwt {
	json_t *header;           /* object */
	json_t *claims;           /* object */
	enum jwt_alg alg;         /* from the header's "alg" */
	const char *alg_name;     /* points into header */
	const char *kid;          /* points into header; NULL when absent */
	struct buf signing_input; /* "<header>.<payload>" as received */
	struct buf signature;     /* decoded */
};

/* One verification key with what its JWK said about it. */
struct jwks_key {
	char *kid;        /* NULL when the key has none */
	enum jwt_alg alg; /* JWT_ALG_UNKNOWN when the JWK names none */
	EVP_PKEY *pkey;   /* owned */
};

struct jwks {
	struct jwks_key *keys;
	size_t len;
};

/* The algorithm called name ("RS256"), or JWT_ALG_UNKNOWN. */
enum jwt_alg jwt_alg_from_name(const char *name);

/* The name of alg ("RS256"), or "unknown". */
const char *jwt_alg_name(enum jwt_alg alg);

/*
 * Strict base64url (RFC 4648 section 5) without padding, as JWS uses it.
 * Appends the decoded bytes of s[0..n) to out. ERR_INVALID on any other
 * character, a "=" pad, an impossible length or non-zero trailing bits.
 */
err_t jwt_b64url_decode(const char *s, size_t n, struct buf *out);

/* Encodes p[0..n) as base64url without padding; heap string or NULL. */
char *jwt_b64url_encode(const uint8_t *p, size_t n);

/*
 * Parses a compact JWS of len bytes into t (which the caller has zeroed
 * and releases with jwt_release, on failure too). Checks the form only,
 * not the signature nor any claim. ERR_INVALID with a reason in err.
 */
err_t jwt_parse(const char *token, size_t len, struct jwt *t, char *err,
                size_t errlen);

/* Frees what t holds; t may be zeroed or half-filled. */
void jwt_release(struct jwt *t);

/*
 * Whether key may verify tokens signed with alg: RSA keys (2048 bits or
 * more) for RS* and PS*, EC keys on the matching curve for ES*, Ed25519
 * for EdDSA.
 */
bool jwt_key_fits(EVP_PKEY *key, enum jwt_alg alg);

/*
 * Verifies t's signature with key. ERR_INVALID with a reason in err when
 * the key does not fit the algorithm or the signature does not verify.
 */
err_t jwt_verify(const struct jwt *t, EVP_PKEY *key, char *err, size_t errlen);

/*
 * Reads one public key from PEM text: a SubjectPublicKeyInfo ("PUBLIC
 * KEY"), a PKCS#1 "RSA PUBLIC KEY" or a certificate. *out is new.
 * ERR_INVALID when pem holds none of these.
 */
err_t jwt_pem_public_key(const char *pem, EVP_PKEY **out);

/*
 * Builds the public key described by one JWK object (kty RSA with n/e, EC
 * with crv P-256/P-384/P-521 and x/y, OKP with crv Ed25519 and x). *out is
 * new. ERR_INVALID with a reason in err for anything else.
 */
err_t jwks_key_from_jwk(json_t *jwk, EVP_PKEY **out, char *err, size_t errlen);

/*
 * Parses a JSON Web Key Set document into set (zeroed by the caller,
 * released with jwks_release). Keys meant for encryption ("use": "enc")
 * and keys of unknown types are skipped; a set with no usable key is
 * ERR_INVALID, with a reason in err.
 */
err_t jwks_parse(const char *doc, size_t len, struct jwks *set, char *err,
                 size_t errlen);

void jwks_release(struct jwks *set);

/*
 * Looks a claim up: a top-level name, or a JSON pointer ("/a/b/0") when
 * name starts with "/". Borrowed reference, or NULL.
 */
json_t *jwt_claim(json_t *claims, const char *name);

/*
 * A scalar claim value as text: strings as they are, integers, reals and
 * booleans printed. Appends to out; ERR_INVALID for objects, arrays and
 * null.
 */
err_t jwt_claim_text(json_t *v, struct buf *out);

/* Leeways in seconds for the time claims. */
struct jwt_leeway {
	int64_t clock_skew;
	int64_t expiration;
	int64_t not_before;
};

/*
 * Checks exp, nbf and iat against now. exp must be present when
 * require_exp; a time claim that is not a number is an error. ERR_INVALID
 * with a reason in err.
 */
err_t jwt_check_times(json_t *claims, int64_t now, const struct jwt_leeway *lw,
                      bool require_exp, char *err, size_t errlen);

/*
 * Checks "aud" (a string or an array of strings) against bound, an array
 * of strings. With a non-empty bound at least one audience must be in it
 * exactly; with an empty one, a token carrying "aud" is refused unless
 * allow_unbound. ERR_INVALID with a reason in err.
 */
err_t jwt_check_audience(json_t *claims, json_t *bound, bool allow_unbound,
                         char *err, size_t errlen);

/*
 * Checks bound_claims (claim -> string or array of strings): every bound
 * claim must be present and one of its values (a scalar, or any item of an
 * array claim) must equal, or with glob match, one allowed value.
 */
err_t jwt_check_bound_claims(json_t *claims, json_t *bound, bool glob,
                             char *err, size_t errlen);

/*
 * Matches s against pattern, where '*' stands for any run of characters
 * (none included) and every other character for itself. Linear in
 * practice, never exponential.
 */
bool jwt_glob_match(const char *pattern, const char *s);

#endif

/*
 * hmac.c - keyed HMAC-SHA256 of hmac.h: RFC 2104 over OpenSSL's SHA-256.
 *
 * The inner and outer hash states after the padded key are computed once;
 * a run copies them (plain structs, no allocation) and hashes the message.
 * OpenSSL 3's EVP_MAC does the same but allocates and copies three digest
 * contexts per run, which showed as a twentieth of a token check. The
 * low-level SHA256_* calls are deprecated in OpenSSL 3 but present in
 * every 3.x; RFC 4231's vectors in tests/unit/test_json_write.c check the
 * construction.
 */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "base/hmac.h"

#include <openssl/sha.h>
#include <stdlib.h>
#include <string.h>

#include "base/secret.h"

#define BLOCK 64 /* SHA-256's block size */

struct hmac_key {
	SHA256_CTX inner; /* after key ^ ipad */
	SHA256_CTX outer; /* after key ^ opad */
};

err_t hmac_key_new(const uint8_t *key, size_t len, struct hmac_key **out)
{
	uint8_t block[BLOCK], pad[BLOCK];
	struct hmac_key *k = calloc(1, sizeof(*k));
	size_t i;
	err_t rc = ERR_CRYPTO;

	if (k == NULL)
		return ERR_NOMEM;
	memset(block, 0, sizeof(block));
	if (len > BLOCK)
		SHA256(key, len, block); /* a long key is hashed first */
	else if (len > 0)
		memcpy(block, key, len);
	for (i = 0; i < BLOCK; i++)
		pad[i] = block[i] ^ 0x36;
	if (SHA256_Init(&k->inner) == 1 &&
	    SHA256_Update(&k->inner, pad, BLOCK) == 1) {
		for (i = 0; i < BLOCK; i++)
			pad[i] = block[i] ^ 0x5c;
		if (SHA256_Init(&k->outer) == 1 &&
		    SHA256_Update(&k->outer, pad, BLOCK) == 1)
			rc = ERR_OK;
	}
	secret_wipe(block, sizeof(block));
	secret_wipe(pad, sizeof(pad));
	if (rc != ERR_OK) {
		hmac_key_free(k);
		return rc;
	}
	*out = k;
	return ERR_OK;
}

void hmac_key_free(struct hmac_key *k)
{
	if (k == NULL)
		return;
	secret_wipe(k, sizeof(*k));
	free(k);
}

err_t hmac_sha256(const struct hmac_key *k, const void *data, size_t len,
                  uint8_t out[HMAC_SHA256_LEN])
{
	SHA256_CTX c = k->inner;
	uint8_t inner[SHA256_DIGEST_LENGTH];
	err_t rc = ERR_CRYPTO;

	if (SHA256_Update(&c, data, len) == 1 && SHA256_Final(inner, &c) == 1) {
		c = k->outer;
		if (SHA256_Update(&c, inner, sizeof(inner)) == 1 &&
		    SHA256_Final(out, &c) == 1)
			rc = ERR_OK;
	}
	secret_wipe(&c, sizeof(c));
	secret_wipe(inner, sizeof(inner));
	return rc;
}

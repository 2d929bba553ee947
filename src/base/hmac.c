/*
 * hmac.c - keyed HMAC-SHA256 contexts of hmac.h over OpenSSL 3's EVP_MAC.
 */
#include "base/hmac.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <stdlib.h>

struct hmac_key {
	EVP_MAC_CTX *ctx; /* keyed, never fed: the template of each run */
};

err_t hmac_key_new(const uint8_t *key, size_t len, struct hmac_key **out)
{
	OSSL_PARAM params[] = {OSSL_PARAM_construct_utf8_string(
	                           OSSL_MAC_PARAM_DIGEST, "SHA256", 0),
	                       OSSL_PARAM_construct_end()};
	struct hmac_key *k = calloc(1, sizeof(*k));
	EVP_MAC *mac = NULL;
	err_t rc = ERR_CRYPTO;

	if (k == NULL)
		return ERR_NOMEM;
	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (mac != NULL)
		k->ctx = EVP_MAC_CTX_new(mac);
	if (k->ctx != NULL && EVP_MAC_init(k->ctx, key, len, params) == 1)
		rc = ERR_OK;
	EVP_MAC_free(mac);
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
	EVP_MAC_CTX_free(k->ctx);
	free(k);
}

err_t hmac_sha256(const struct hmac_key *k, const void *data, size_t len,
                  uint8_t out[HMAC_SHA256_LEN])
{
	EVP_MAC_CTX *run = EVP_MAC_CTX_dup(k->ctx);
	size_t n = 0;
	err_t rc = ERR_CRYPTO;

	if (run != NULL && EVP_MAC_update(run, data, len) == 1 &&
	    EVP_MAC_final(run, out, &n, HMAC_SHA256_LEN) == 1 &&
	    n == HMAC_SHA256_LEN)
		rc = ERR_OK;
	EVP_MAC_CTX_free(run);
	return rc;
}

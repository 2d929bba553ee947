#include "core/aead.h"

#include <limits.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <string.h>

#include "base/encoding.h"
#include "base/secret.h"

/*
 * Fetched once: an implicit fetch on every EVP_EncryptInit_ex2 would take
 * OpenSSL's provider lock on the hot path of every storage call. The
 * cipher lives as long as the process.
 */
static pthread_once_t aead_once = PTHREAD_ONCE_INIT;
static EVP_CIPHER *aead_cipher;

static void aead_fetch(void)
{
	aead_cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL);
}

static const EVP_CIPHER *aead_gcm(void)
{
	if (pthread_once(&aead_once, aead_fetch) != 0)
		return NULL;
	return aead_cipher;
}

/*
 * A new context per call: it costs one small allocation next to the key
 * schedule that EVP redoes for every key anyway, and keeps threads apart
 * without any shared state.
 */
err_t aead_seal(const uint8_t *key, const void *aad, size_t aadlen,
                const uint8_t *pt, size_t len, struct buf *out)
{
	const EVP_CIPHER *gcm = aead_gcm();
	EVP_CIPHER_CTX *ctx = NULL;
	size_t start = out->len;
	uint8_t *p;
	int n, fin;
	err_t rc;

	if (len > INT_MAX - AEAD_OVERHEAD || aadlen > INT_MAX)
		return ERR_TOO_LARGE;
	rc = buf_reserve(out, len + AEAD_OVERHEAD);
	if (rc != ERR_OK)
		return rc;

	rc = ERR_CRYPTO;
	p = out->data + start;
	if (gcm == NULL || rand_bytes(p, AEAD_NONCE_LEN) != ERR_OK)
		goto out;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL || EVP_EncryptInit_ex2(ctx, gcm, key, p, NULL) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto out;

	p += AEAD_NONCE_LEN;
	n = 0;
	if (len > 0 && EVP_EncryptUpdate(ctx, p, &n, pt, (int)len) != 1)
		goto out;
	if (EVP_EncryptFinal_ex(ctx, p + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != len)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, AEAD_TAG_LEN,
	                        p + len) != 1)
		goto out;

	out->len = start + len + AEAD_OVERHEAD;
	out->data[out->len] = 0;
	rc = ERR_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (rc != ERR_OK)
		secret_wipe(out->data + start, len + AEAD_OVERHEAD);
	return rc;
}

err_t aead_open(const uint8_t *key, const void *aad, size_t aadlen,
                const uint8_t *in, size_t len, struct buf *out)
{
	const EVP_CIPHER *gcm = aead_gcm();
	EVP_CIPHER_CTX *ctx = NULL;
	size_t start = out->len, ctlen;
	uint8_t tag[AEAD_TAG_LEN];
	uint8_t *p;
	int n, fin;
	err_t rc;

	if (len < AEAD_OVERHEAD || len > INT_MAX || aadlen > INT_MAX)
		return ERR_CRYPTO;
	ctlen = len - AEAD_OVERHEAD;
	rc = buf_reserve(out, ctlen);
	if (rc != ERR_OK)
		return rc;

	/* EVP wants a writable tag buffer. */
	rc = ERR_CRYPTO;
	p = out->data + start;
	memcpy(tag, in + len - AEAD_TAG_LEN, AEAD_TAG_LEN);
	ctx = EVP_CIPHER_CTX_new();
	if (gcm == NULL || ctx == NULL ||
	    EVP_DecryptInit_ex2(ctx, gcm, key, in, NULL) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aadlen) != 1)
		goto out;

	n = 0;
	if (ctlen > 0 &&
	    EVP_DecryptUpdate(ctx, p, &n, in + AEAD_NONCE_LEN, (int)ctlen) != 1)
		goto out;
	if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, AEAD_TAG_LEN,
	                        tag) != 1)
		goto out;
	/* The tag is checked here; until then p holds unverified bytes. */
	if (EVP_DecryptFinal_ex(ctx, p + n, &fin) != 1 ||
	    (size_t)n + (size_t)fin != ctlen)
		goto out;

	out->len = start + ctlen;
	out->data[out->len] = 0;
	rc = ERR_OK;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (rc != ERR_OK) {
		secret_wipe(out->data + start, ctlen);
		out->data[start] = 0;
	}
	return rc;
}

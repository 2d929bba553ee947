/*
 * Known shortcoming: libgfshare multiplies in GF(2^8) through log and exp
 * tables, so its memory access pattern depends on the shares; a local
 * attacker sharing the CPU cache could learn about them while unseal keys
 * are being combined (the class of CVE-2023-25000). A constant-time field
 * would mean writing our own arithmetic, which the project's rule against
 * hand-rolled crypto forbids; the exposure is limited to the moment of
 * unsealing.
 */
#include "core/shamir.h"

#include <libgfshare.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "base/encoding.h"
#include "base/secret.h"

/*
 * libgfshare draws its polynomial coefficients through a global function
 * pointer that returns nothing, and also calls it to scrub its buffers in
 * gfshare_ctx_free (so it must be set before combining too). We point it
 * at OpenSSL's CSPRNG and record a failure per thread, so the caller can
 * refuse shares built on bad randomness.
 */
static pthread_once_t shamir_once = PTHREAD_ONCE_INIT;
static _Thread_local bool shamir_rand_failed;

static void shamir_fill(unsigned char *p, unsigned int n)
{
	if (n > 0 && RAND_bytes(p, (int)n) != 1) {
		shamir_rand_failed = true;
		secret_wipe(p, n);
	}
}

static void shamir_install_rand(void)
{
	gfshare_fill_rand = shamir_fill;
}

/* Fills xs[0..n) with distinct random values in 1..255. */
static err_t shamir_pick_x(uint8_t *xs, size_t n)
{
	uint8_t pool[SHAMIR_MAX_PARTS];
	size_t i;

	for (i = 0; i < SHAMIR_MAX_PARTS; i++)
		pool[i] = (uint8_t)(i + 1);

	/* The first n steps of a Fisher-Yates shuffle, without modulo bias. */
	for (i = 0; i < n; i++) {
		size_t left = SHAMIR_MAX_PARTS - i, j;
		uint8_t r, t;

		do {
			if (rand_bytes(&r, 1) != ERR_OK)
				return ERR_CRYPTO;
		} while (r >= 256 - 256 % left);
		j = i + r % left;
		t = pool[i];
		pool[i] = pool[j];
		pool[j] = t;
		xs[i] = pool[i];
	}
	return ERR_OK;
}

static void shamir_wipe_all(struct buf *shares, int parts)
{
	for (int i = 0; i < parts; i++)
		buf_release(&shares[i]);
}

err_t shamir_split(const uint8_t *secret, size_t len, int parts, int threshold,
                   struct buf *shares)
{
	uint8_t xs[SHAMIR_MAX_PARTS];
	gfshare_ctx *ctx = NULL;
	uint8_t *copy = NULL;
	err_t rc;
	int i;

	if (secret == NULL || len == 0 || len > UINT32_MAX - 1 ||
	    threshold < 2 || parts < threshold || parts > SHAMIR_MAX_PARTS)
		return ERR_INVALID;
	if (pthread_once(&shamir_once, shamir_install_rand) != 0)
		return ERR_INTERNAL;
	shamir_rand_failed = false;

	rc = shamir_pick_x(xs, (size_t)parts);
	if (rc != ERR_OK)
		goto out;
	rc = ERR_NOMEM;
	/* libgfshare wants a writable secret. */
	copy = malloc(len);
	if (copy == NULL)
		goto out;
	memcpy(copy, secret, len);
	ctx = gfshare_ctx_init_enc(xs, (unsigned)parts,
	                           (unsigned char)threshold, (unsigned)len);
	if (ctx == NULL)
		goto out;
	gfshare_ctx_enc_setsecret(ctx, copy);

	rc = ERR_OK;
	for (i = 0; i < parts && rc == ERR_OK; i++) {
		rc = buf_reserve(&shares[i], len + 1);
		if (rc != ERR_OK)
			break;
		gfshare_ctx_enc_getshare(ctx, (unsigned char)i,
		                         shares[i].data + shares[i].len);
		shares[i].len += len;
		rc = buf_append_byte(&shares[i], xs[i]);
	}
	if (rc == ERR_OK && shamir_rand_failed)
		rc = ERR_CRYPTO;
out:
	if (ctx != NULL)
		gfshare_ctx_free(ctx);
	secret_free_n(copy, len);
	if (rc != ERR_OK)
		shamir_wipe_all(shares, parts);
	return rc;
}

/* Checks the combine preconditions and collects the x coordinates. */
static err_t shamir_check(const struct buf *shares, size_t n, uint8_t *xs)
{
	bool seen[256] = {false};
	size_t len, i;

	if (shares == NULL || n < 2 || n > SHAMIR_MAX_PARTS)
		return ERR_INVALID;
	len = shares[0].len;
	if (len < 2 || len - 1 > UINT32_MAX)
		return ERR_INVALID;
	for (i = 0; i < n; i++) {
		uint8_t x;

		if (shares[i].len != len)
			return ERR_INVALID;
		x = shares[i].data[len - 1];
		if (x == 0 || seen[x])
			return ERR_INVALID;
		seen[x] = true;
		xs[i] = x;
	}
	return ERR_OK;
}

err_t shamir_combine(const struct buf *shares, size_t n, struct buf *secret)
{
	uint8_t xs[SHAMIR_MAX_PARTS];
	gfshare_ctx *ctx = NULL;
	uint8_t *y = NULL;
	size_t len, i;
	err_t rc;

	rc = shamir_check(shares, n, xs);
	if (rc != ERR_OK)
		return rc;
	if (pthread_once(&shamir_once, shamir_install_rand) != 0)
		return ERR_INTERNAL;
	len = shares[0].len - 1;
	rc = buf_reserve(secret, len);
	if (rc != ERR_OK)
		return rc;

	rc = ERR_NOMEM;
	/* libgfshare takes writable share buffers; give it a copy. */
	y = malloc(len);
	if (y == NULL)
		goto out;
	ctx = gfshare_ctx_init_dec(xs, (unsigned)n, (unsigned)len);
	if (ctx == NULL)
		goto out;
	for (i = 0; i < n; i++) {
		memcpy(y, shares[i].data, len);
		gfshare_ctx_dec_giveshare(ctx, (unsigned char)i, y);
	}
	gfshare_ctx_dec_extract(ctx, secret->data + secret->len);
	secret->len += len;
	secret->data[secret->len] = 0;
	rc = ERR_OK;
out:
	if (ctx != NULL)
		gfshare_ctx_free(ctx);
	secret_free_n(y, len);
	return rc;
}

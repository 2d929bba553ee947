/*
 * hmac.h - HMAC-SHA256 under a key set up once.
 *
 * OpenSSL's one-shot HMAC() looks up the algorithm and keys a context on
 * every call, which showed up as a twentieth of a KV read's cost when
 * every request hashed its token. A struct hmac_key is keyed once; each
 * computation copies that keyed state, so any number of threads can use
 * one key at the same time.
 */
#ifndef COFFER_BASE_HMAC_H
#define COFFER_BASE_HMAC_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define HMAC_SHA256_LEN 32

struct hmac_key;

/*
 * Keys a new HMAC-SHA256 with len bytes at key (copied into OpenSSL's
 * state, which it wipes on free). ERR_CRYPTO or ERR_NOMEM on failure.
 */
err_t hmac_key_new(const uint8_t *key, size_t len, struct hmac_key **out);

/* Wipes and frees; k may be NULL. */
void hmac_key_free(struct hmac_key *k);

/*
 * Writes HMAC-SHA256(key, data[0..len)) into out. Safe to call from many
 * threads with one k. ERR_CRYPTO when OpenSSL fails.
 */
err_t hmac_sha256(const struct hmac_key *k, const void *data, size_t len,
                  uint8_t out[HMAC_SHA256_LEN]);

#endif

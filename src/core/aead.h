/*
 * aead.h - AES-256-GCM with a fresh random nonce, through OpenSSL EVP.
 *
 * The one place where the core seals and opens bytes with a symmetric key:
 * the barrier uses it for every stored value and for the keyring, the seal
 * for the root key. The sealed form is
 *
 *   12-byte random nonce | ciphertext | 16-byte GCM tag
 *
 * and the caller decides what goes in front of it (version, key term).
 */
#ifndef COFFER_CORE_AEAD_H
#define COFFER_CORE_AEAD_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

#define AEAD_KEY_LEN   32
#define AEAD_NONCE_LEN 12
#define AEAD_TAG_LEN   16
#define AEAD_OVERHEAD  (AEAD_NONCE_LEN + AEAD_TAG_LEN)

/*
 * Encrypts len bytes at pt under the AEAD_KEY_LEN-byte key, authenticating
 * aad as well, and appends nonce | ciphertext | tag to out. pt may be NULL
 * when len is 0. Returns ERR_TOO_LARGE when the result would not fit in out
 * or exceeds what EVP takes in one call, ERR_CRYPTO when OpenSSL fails; out
 * is left as it was on failure.
 */
err_t aead_seal(const uint8_t *key, const void *aad, size_t aadlen,
                const uint8_t *pt, size_t len, struct buf *out);

/*
 * Opens what aead_seal produced (len bytes at in) and appends the plaintext
 * to out. Returns ERR_CRYPTO when the input is too short, the tag does not
 * match (wrong key, wrong aad, altered bytes) or OpenSSL fails; out is left
 * as it was (and any partial plaintext wiped) on failure.
 */
err_t aead_open(const uint8_t *key, const void *aad, size_t aadlen,
                const uint8_t *in, size_t len, struct buf *out);

#endif

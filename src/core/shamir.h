/*
 * shamir.h - Shamir secret sharing over GF(2^8), through libgfshare.
 *
 * A share is the secret's length plus one byte: the y values, one per
 * secret byte, followed by the share's x coordinate (nonzero). This is the
 * share layout Vault hands out, so its unseal keys look the same.
 *
 * Any threshold shares give back the secret; fewer give random-looking
 * bytes, and nothing in a share tells which case it is, so the caller must
 * check the result (the seal does, by opening the root key with it).
 */
#ifndef COFFER_CORE_SHAMIR_H
#define COFFER_CORE_SHAMIR_H

#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

#define SHAMIR_MAX_PARTS 255

/*
 * Splits len bytes of secret (len >= 1) into parts shares, any threshold
 * of which recombine it; 2 <= threshold <= parts <= 255. The x
 * coordinates are distinct, nonzero and random. shares is an array of
 * parts buffers set up by the caller; share i is appended to shares[i].
 * Returns ERR_INVALID for bad arguments, ERR_NOMEM, or ERR_CRYPTO when the
 * random source fails; on failure every share buffer is wiped and emptied.
 */
err_t shamir_split(const uint8_t *secret, size_t len, int parts, int threshold,
                   struct buf *shares);

/*
 * Recombines n shares (2 <= n <= 255), all of the same length >= 2 with
 * distinct nonzero x coordinates, and appends the secret (one byte shorter
 * than a share) to secret. Returns ERR_INVALID when the shares break those
 * rules, ERR_NOMEM otherwise on failure.
 */
err_t shamir_combine(const struct buf *shares, size_t n, struct buf *secret);

#endif

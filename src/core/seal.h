/*
 * seal.h - the Shamir seal: protection of the root key.
 *
 * At initialisation the seal makes a random 32-byte root key, which opens
 * the barrier's keyring, and a random 32-byte unseal key, which opens the
 * root key. Only the unseal key leaves the process, split into shares
 * (libgfshare, Vault's share layout: 32 y bytes then the x byte) or, with a
 * single share, as itself. Physical storage holds:
 *
 *   core/seal-config  plaintext JSON, not secret:
 *                     {"secret_shares":5,"secret_threshold":3}
 *   core/root-key     version byte (1) | 12-byte nonce | root key sealed
 *                     with AES-256-GCM under the unseal key | 16-byte tag,
 *                     AAD "core/root-key"
 *   core/keyring      written by the barrier
 *
 * all three in one storage commit, so a crash leaves either none or all.
 *
 * Unsealing collects shares one call at a time (the sys/unseal API). When
 * threshold distinct shares are in, they are combined, the root key is
 * opened with the result and handed to the barrier. A wrong set of shares
 * cannot be told from a right one until the root key fails to open; the
 * round is then dropped and must start over.
 *
 * Every function may be called from several threads at once (one mutex).
 */
#ifndef COFFER_CORE_SEAL_H
#define COFFER_CORE_SEAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "core/barrier.h"
#include "storage/storage.h"

#define SEAL_KEY_LEN    32
#define SEAL_MAX_SHARES 255

struct seal;

/*
 * Creates a seal over phys and the barrier b built on it; both stay the
 * caller's and must outlive the seal. Returns ERR_NOMEM or ERR_INTERNAL.
 */
err_t seal_new(struct storage *phys, struct barrier *b, struct seal **out);

/* Wipes collected shares and frees; s may be NULL. Leaves b as it is. */
void seal_free(struct seal *s);

/*
 * Reads the stored configuration: *initialized is false (and *shares,
 * *threshold 0) when there is none. Any pointer but s may be NULL.
 * Returns a storage error, or ERR_INTERNAL when the stored configuration
 * is malformed.
 */
err_t seal_config(struct seal *s, bool *initialized, int *shares,
                  int *threshold);

/*
 * Initialises a new vault: 1 <= threshold <= shares <= 255, and threshold
 * 1 only with a single share. On success keys_out[0..shares) (set up by
 * the caller) each get one unseal key share appended (SEAL_KEY_LEN + 1
 * bytes; SEAL_KEY_LEN bytes when shares is 1) for the caller to hand out
 * and wipe; the barrier is left sealed. On failure errmsg holds a one-line
 * reason for the user, keys_out are empty and nothing is stored: ERR_INVALID
 * for bad numbers, ERR_CONFLICT when already initialised, or a storage or
 * crypto error.
 */
err_t seal_initialize(struct seal *s, int shares, int threshold,
                      struct buf *keys_out, char *errmsg, size_t errlen);

/*
 * Adds one unseal key share (len bytes, raw, not encoded). *unsealed tells
 * whether the barrier is unsealed after the call. A share already given in
 * this round is ignored. Returns ERR_CONFLICT when not initialised,
 * ERR_INVALID for a share of the wrong length or one that reuses another's
 * x coordinate (progress kept), or when the completed round does not open
 * the root key (progress reset); errmsg then holds the reason. Already
 * unsealed: ERR_OK with *unsealed true and nothing else done.
 */
err_t seal_submit(struct seal *s, const uint8_t *key, size_t len,
                  bool *unsealed, char *errmsg, size_t errlen);

/*
 * Shares collected in the current round and its nonce, a UUID made when
 * its first share arrived ("" when the round is empty).
 */
void seal_progress(struct seal *s, int *progress, char nonce[37]);

/* Drops (and wipes) the shares collected so far. */
void seal_reset(struct seal *s);

/* Seals the barrier, wiping its keys, and drops collected shares. */
void seal_seal(struct seal *s);

#endif

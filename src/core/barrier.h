/*
 * barrier.h - the encryption barrier between the core and physical storage.
 *
 * The barrier holds a keyring of data-encryption keys, one per term, and
 * offers the encrypted view of a physical backend through the very same
 * struct storage interface. Every value written through the view is sealed
 * with the active (highest) term; values under older terms stay readable,
 * so a rotation never rewrites data.
 *
 * Stored value format (version 1), all through AES-256-GCM:
 *
 *   1 byte   version (1)
 *   4 bytes  key term, big-endian
 *  12 bytes  random nonce
 *   n bytes  ciphertext
 *  16 bytes  GCM tag
 *
 * The additional authenticated data is the storage key (the path) the value
 * lives under, so a ciphertext copied or moved to another key fails to
 * open. An unknown version or term, a short value or a bad tag all give
 * ERR_CRYPTO; never plaintext.
 *
 * The keyring itself lives at the physical key BARRIER_KEYRING_PATH, sealed
 * under the 32-byte root key with that path as AAD:
 *
 *   1 byte   version (1) | 12-byte nonce | ciphertext | 16-byte tag
 *
 * and the plaintext is a fixed binary layout (not JSON, because jansson
 * copies strings into memory that cannot be wiped when freed):
 *
 *   4 bytes  number of keys n, big-endian (>= 1)
 *   n times: 4-byte term, 8-byte install time (unix seconds, signed),
 *            32-byte key; terms strictly ascending
 *
 * The root key is kept in memory while unsealed because a rotation must
 * re-encrypt the keyring. Every key is wiped on seal and on free.
 *
 * States: uninitialised (no keyring) -> barrier_initialize -> sealed
 * <-> unsealed (barrier_unseal / barrier_seal). While sealed every call
 * through the view returns ERR_SEALED.
 *
 * Thread safety: all functions may be called from several threads at once.
 * Storage calls share a read lock; unseal, seal and rotate take the write
 * lock, so they wait for calls in flight that hold key material.
 */
#ifndef COFFER_CORE_BARRIER_H
#define COFFER_CORE_BARRIER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "storage/storage.h"

#define BARRIER_KEY_LEN    32
#define BARRIER_VERSION    1
#define BARRIER_HEADER_LEN 5 /* version + term */

/*
 * Physical keys kept outside the encrypted view: the keyring (sealed under
 * the root key), the root key (sealed under the seal's unseal key) and the
 * seal configuration (plaintext, not secret). The view refuses writes to
 * them.
 */
#define BARRIER_KEYRING_PATH     "core/keyring"
#define BARRIER_ROOT_KEY_PATH    "core/root-key"
#define BARRIER_SEAL_CONFIG_PATH "core/seal-config"

struct barrier;

/*
 * Creates a sealed barrier over phys, which the caller keeps owning and
 * must outlive the barrier. Returns ERR_NOMEM or ERR_INTERNAL.
 */
err_t barrier_new(struct storage *phys, struct barrier **out);

/* Seals (wiping every key) and frees; b may be NULL. */
void barrier_free(struct barrier *b);

/*
 * The encrypted view. It belongs to the barrier and lives as long as it:
 * storage_free on it does nothing. Puts, deletes and commits that touch a
 * key the barrier or the seal keep in physical storage (the keyring, the
 * sealed root key, the seal configuration) are refused with ERR_INVALID,
 * so the view cannot overwrite them.
 */
struct storage *barrier_storage(struct barrier *b);

/*
 * Sets *out to whether a keyring exists in physical storage. Returns a
 * storage error when the backend fails.
 */
err_t barrier_initialized(struct barrier *b, bool *out);

/*
 * Creates keyring term 1 with a fresh random key and writes it, sealed
 * under root_key (BARRIER_KEY_LEN bytes, not kept), in one storage commit
 * together with the nextra operations in extra (may be NULL when 0), so
 * that a caller can make its own initialisation atomic with the barrier's.
 * The barrier stays sealed. Returns ERR_INVALID for a bad key length,
 * ERR_CONFLICT when a keyring already exists, a storage or crypto error
 * otherwise (nothing written then).
 */
err_t barrier_initialize_with(struct barrier *b, const uint8_t *root_key,
                              size_t len, const struct storage_op *extra,
                              size_t nextra);

/* barrier_initialize_with without extra operations. */
err_t barrier_initialize(struct barrier *b, const uint8_t *root_key,
                         size_t len);

/*
 * Loads the keyring and opens it with root_key (BARRIER_KEY_LEN bytes,
 * copied). Returns ERR_INVALID for a bad key length, ERR_NOT_FOUND when
 * there is no keyring, ERR_CRYPTO when the key is wrong or the keyring is
 * damaged (the barrier then stays as it was). Unsealing an unsealed
 * barrier checks the key and changes nothing.
 */
err_t barrier_unseal(struct barrier *b, const uint8_t *root_key, size_t len);

/*
 * Reads the keyring again from physical storage with the root key kept
 * since the unseal, so that keys another server added (a rotation on the
 * active server of an HA cluster) become usable here. ERR_SEALED when
 * sealed; a storage or crypto error leaves the current keyring in place.
 */
err_t barrier_reload(struct barrier *b);

/* Wipes every key from memory; calls through the view then fail. */
void barrier_seal(struct barrier *b);

bool barrier_sealed(struct barrier *b);

/*
 * Adds a key under the next term, persists the keyring and makes the new
 * key the one new writes use. *new_term gets the term (may be NULL).
 * Returns ERR_SEALED when sealed, a storage or crypto error when the
 * keyring could not be written (the old keyring stays active then).
 */
err_t barrier_rotate(struct barrier *b, uint32_t *new_term);

/*
 * The active key's term, its install time (unix seconds) and the number of
 * encryptions with it since this process installed or loaded it (it starts
 * from 0 after every unseal). Any pointer may be NULL. Returns ERR_SEALED
 * when sealed.
 */
err_t barrier_key_status(struct barrier *b, uint32_t *term,
                         int64_t *install_time, uint64_t *encryptions);

#endif

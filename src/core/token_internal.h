/*
 * token_internal.h - the token store's state and storage helpers, shared
 * by token.c (store, lookups, use), token_create.c and token_revoke.c
 * (revocation, renewal, tidy). Nothing else includes it.
 */
#ifndef COFFER_CORE_TOKEN_INTERNAL_H
#define COFFER_CORE_TOKEN_INTERNAL_H

#include <pthread.h>

#include "base/hmac.h"
#include "core/lease.h"
#include "core/token.h"

#define TOKEN_ID_PREFIX       "sys/token/id/"
#define TOKEN_ACCESSOR_PREFIX "sys/token/accessor/"
#define TOKEN_PARENT_PREFIX   "sys/token/parent/"

/* Decoded entries kept in memory (src/storage/cache.h). */
#define TOKEN_CACHE_ENTRIES 16384
#define TOKEN_HMAC_KEY_LEN  32
#define TOKEN_RAND_LEN      24
#define TOKEN_USE_STRIPES   16

struct token_store {
	struct storage *enc;
	uint8_t key[TOKEN_HMAC_KEY_LEN];
	struct hmac_key *mac; /* keyed with key: hashing is per request */
	pthread_rwlock_t tree;
	pthread_mutex_t uses[TOKEN_USE_STRIPES];
	struct lease_mgr *leases;
	void (*hook)(void *ctx, const char *hash);
	void *hook_ctx;
};

/* The HMAC hex of a token value into out. */
err_t token_hash_value(struct token_store *ts, const char *token,
                       char out[TOKEN_HASH_LEN + 1]);

/*
 * Reads the entry stored under hash, whatever its state (expired, spent).
 * ERR_NOT_FOUND when there is none.
 */
err_t token_load(struct token_store *ts, const char *hash,
                 struct token_entry **out);

/* Adds the put of e's entry record to t. */
err_t token_txn_put_entry(struct lease_txn *t, const struct token_entry *e);

/* Adds the put (or, expire_time 0, nothing) of e's lease to t. */
err_t token_txn_put_lease(struct token_store *ts, struct lease_txn *t,
                          const struct token_entry *e);

/* The mutex that orders uses of the token named by hash. */
pthread_mutex_t *token_use_lock(struct token_store *ts, const char *hash);

#endif

/*
 * lease.h - the lease manager: one place for everything that expires.
 *
 * A lease stands for a token with a TTL or for a dynamic secret an engine
 * handed out. Its record (who made it, when it ends, what the engine needs
 * to revoke it) lives in storage at "sys/expire/id/<lease id>"; a secret
 * lease made by a token is also indexed at
 * "sys/expire/token/<token hash>/<lease id, escaped>" so that revoking the
 * token finds it. In memory there is only a compact index: the id, the
 * expiry, the namespace and a retry counter per lease, ordered in a
 * min-heap by the time of the next action, so memory does not grow with
 * the size of the secrets.
 *
 * A background thread revokes what is due, in batches, through callbacks:
 * the token store for token leases, the mount's backend for secrets. A
 * failed revocation is retried with exponential backoff from 10 s up to
 * LEASE_RETRY_CAP; after LEASE_MAX_FAILURES it is flagged irrevocable for
 * the operator (lookup shows it) but still retried until it succeeds or
 * revoke-force removes it: a credential is never silently forgotten.
 *
 * Lease ids are unique on their own (a token hash or a random suffix), so
 * the in-memory index needs no namespace in its key. Namespace rules: a
 * caller in namespace N reaches one lease by id when the lease is in N or
 * below it; the prefix operations (list, revoke-prefix) act on the leases
 * of exactly N, because a prefix such as "secret/" names a mount of N.
 *
 * Lock order: the token store's locks come before the manager's. The
 * manager never calls a callback with its own lock held.
 */
#ifndef COFFER_CORE_LEASE_H
#define COFFER_CORE_LEASE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "storage/storage.h"

#define LEASE_ID_PREFIX    "sys/expire/id/"
#define LEASE_TOKEN_PREFIX "sys/expire/token/"
#define LEASE_MAX_FAILURES 6
#define LEASE_RETRY_BASE   10   /* seconds */
#define LEASE_RETRY_CAP    3600 /* seconds */
#define LEASE_BATCH        64

struct lease_mgr;

enum lease_kind {
	LEASE_SECRET,
	LEASE_TOKEN,
};

/* One lease as read back from storage (lookups, callbacks). */
struct lease_info {
	char *id;
	char *ns;
	char *mount_path; /* "database/", "auth/token/" */
	char *path;       /* inside the mount: "creds/ro" */
	char *token_hash; /* the token that made it; for a token lease, the
	                     token itself; "" when none */
	enum lease_kind kind;
	int64_t issue_time;        /* unix seconds */
	int64_t expire_time;       /* unix seconds; never 0 */
	int64_t last_renewal_time; /* 0 until renewed */
	int64_t ttl;               /* as granted at issue or last renewal */
	int64_t max_expire_time;   /* hard end; 0 = none */
	bool renewable;
	int failures;
	bool irrevocable;
	json_t *secret; /* the engine's blob, or null; owned */
};

void lease_info_free(struct lease_info *li);

/*
 * What the manager calls out to. All but ctx are optional; a missing revoke
 * callback counts as success (nothing outside to clean up).
 */
struct lease_callbacks {
	void *ctx;

	/*
	 * The expiry thread calls enter before a batch and leave after it, so
	 * that the core can hold its read lock while backends run. enter may
	 * refuse (returns false, e.g. because a seal is waiting); the thread
	 * then retries a little later. Requests never go through these.
	 */
	bool (*enter)(void *ctx);
	void (*leave)(void *ctx);

	/* Revokes the token a token lease stands for, with its tree. */
	err_t (*revoke_token)(void *ctx, const char *token_hash);

	/*
	 * Renews a token by the token store's rules; *ttl is the TTL granted.
	 * The token store rewrites the lease record itself.
	 */
	err_t (*renew_token)(void *ctx, const char *token_hash,
	                     int64_t increment, int64_t *ttl);

	/* Revokes a secret at its mount. */
	err_t (*revoke_secret)(void *ctx, const struct lease_info *li);

	/*
	 * Renews a secret at its mount. *ttl comes in as the TTL the manager
	 * allows and may be lowered by the backend.
	 */
	err_t (*renew_secret)(void *ctx, const struct lease_info *li,
	                      int64_t increment, int64_t *ttl);
};

/*
 * The clock every lease and token decision reads: unix seconds. Tests may
 * install their own with lease_set_clock (NULL restores the real one); it
 * must be set before any manager starts.
 */
int64_t lease_now(void);
void lease_set_clock(int64_t (*now)(void));

/*
 * Makes a stopped manager over enc (not owned). cb is copied. Returns
 * ERR_NOMEM.
 */
err_t lease_mgr_new(struct storage *enc, const struct lease_callbacks *cb,
                    struct lease_mgr **out);

/*
 * Loads every lease record below LEASE_ID_PREFIX into the index and starts
 * the expiry thread. Leases already past their time are revoked by the
 * thread as soon as it runs. Returns a storage error or ERR_INTERNAL when
 * the thread cannot start.
 */
err_t lease_mgr_start(struct lease_mgr *lm);

/*
 * Stops and joins the expiry thread; safe to call twice, or on NULL, or on
 * a manager that never started. After it returns no callback runs.
 */
void lease_mgr_stop(struct lease_mgr *lm);

/* Stops, then frees the index; lm may be NULL. */
void lease_mgr_free(struct lease_mgr *lm);

/* Wakes the expiry thread now (after a test moved the clock). */
void lease_mgr_kick(struct lease_mgr *lm);

/* Leases in the index, irrevocable ones included. */
size_t lease_count(struct lease_mgr *lm);

/* A secret lease, as an engine or the core's pipeline registers it. */
struct lease_spec {
	const char *ns;         /* the mount's namespace */
	const char *mount_path; /* "database/", with its trailing slash */
	const char *path;       /* the request path inside the mount */
	const char *token_hash; /* the creating token's id_hash, or NULL */
	json_t *secret;         /* what the backend needs back; borrowed */
	int64_t ttl;            /* > 0 */
	int64_t max_ttl;        /* hard cap from now; 0 = none */
	bool renewable;
};

/*
 * For the core's pipeline (not wired here): after a secret mount's handler
 * answers with resp->lease_duration > 0 and a secret to track, fill a
 * lease_spec with the mount's ns and path, req->rel as path, the caller's
 * req->auth->id_hash, the engine's internal blob (never the data shown to
 * the client), ttl = min(lease_duration, mount or system max TTL),
 * max_ttl = the mount or system max TTL, renewable = backend->renew !=
 * NULL; call lease_register and put the id in resp->lease_id. On failure
 * the secret must be revoked through the backend and the request fail.
 *
 * Persists a new secret lease and indexes it (one storage commit with its
 * token index). The id is "<mount_path><path>/<24 random alphanumerics>".
 * On success *lease_id is a heap string for the caller. ERR_INVALID for a
 * TTL <= 0 or a missing mount path.
 */
err_t lease_register(struct lease_mgr *lm, const struct lease_spec *spec,
                     char **lease_id);

/*
 * Reads one lease visible from namespace caller_ns. ERR_NOT_FOUND when it
 * does not exist or lives in another tenant. *out is the caller's.
 */
err_t lease_lookup(struct lease_mgr *lm, const char *caller_ns, const char *id,
                   struct lease_info **out);

/*
 * Renews a lease. increment < 0 means "the lease's own TTL". The new TTL
 * is never past the lease's max_expire_time; *ttl is what was granted.
 * ERR_NOT_FOUND for an unknown lease, ERR_INVALID when it is not renewable
 * or already past its end.
 */
err_t lease_renew(struct lease_mgr *lm, const char *caller_ns, const char *id,
                  int64_t increment, int64_t *ttl);

/*
 * Revokes one lease now. Without force a failed revocation returns the
 * callback's error and the lease stays (with a failure counted); with force
 * the lease is removed whatever the backend said. Unknown: ERR_NOT_FOUND.
 */
err_t lease_revoke(struct lease_mgr *lm, const char *caller_ns, const char *id,
                   bool force);

/*
 * Revokes every lease of namespace ns (exactly) whose id starts with
 * prefix; the core calls it when a mount is disabled. Goes on past failures
 * and returns the first error (without force); with force removes all.
 */
err_t lease_revoke_prefix(struct lease_mgr *lm, const char *ns,
                          const char *prefix, bool force);

/*
 * The direct children of prefix among the leases of namespace ns, sorted,
 * as LIST shows them ("abc", "sub/"). *keys is a new array, possibly empty.
 */
err_t lease_list(struct lease_mgr *lm, const char *ns, const char *prefix,
                 json_t **keys);

/*
 * Makes every secret lease that token_hash created due now, so that the
 * expiry thread revokes them at once; called when the token is revoked.
 */
err_t lease_revoke_by_token(struct lease_mgr *lm, const char *token_hash);

/*
 * Removes token index entries whose lease is gone, and makes leases whose
 * token no longer has an entry in token_exists due now. Returns the first
 * storage error.
 */
err_t lease_tidy(struct lease_mgr *lm,
                 bool (*token_exists)(void *ctx, const char *hash), void *ctx);

/*
 * Walks every key below prefix (which ends in "/"), depth first, calling
 * fn with each full key. Stops at the first error fn or storage returns.
 */
err_t lease_walk(struct storage *s, const char *prefix,
                 err_t (*fn)(void *ctx, const char *rel), void *ctx);

/*
 * A multi-key storage change built by the token store, committed in one
 * storage_commit, with the index changes applied only once it is durable.
 */
struct lease_change;

struct lease_txn {
	struct storage_op *ops;
	size_t n, alloc;
	char **owned;
	size_t nowned, owned_alloc;
	struct lease_change *changes;
	size_t nchanges, changes_alloc;
};

void lease_txn_init(struct lease_txn *t);
void lease_txn_release(struct lease_txn *t);

/* Adds a put of text under key (both copied). */
err_t lease_txn_put(struct lease_txn *t, const char *key, const char *text);

/* Adds a delete of key (copied). */
err_t lease_txn_delete(struct lease_txn *t, const char *key);

/*
 * Adds the record of a token lease (new or renewed) and the index change.
 * li->kind must be LEASE_TOKEN. lm NULL: nothing is added (a store with no
 * manager, as during initialisation).
 */
err_t lease_txn_put_lease(struct lease_mgr *lm, struct lease_txn *t,
                          const struct lease_info *li);

/* Adds the removal of the lease id (record and index). lm may be NULL. */
err_t lease_txn_remove_lease(struct lease_mgr *lm, struct lease_txn *t,
                             const char *id);

/*
 * Commits t to s in one storage_commit; on success applies its index
 * changes to lm (which may be NULL). t is left as it was (release it).
 */
err_t lease_txn_commit(struct lease_mgr *lm, struct storage *s,
                       struct lease_txn *t);

#endif

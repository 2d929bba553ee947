/*
 * core_internal.h - the core's state, shared by the files of src/core/ and
 * by the system backend. Nothing outside the core and sys/ includes it.
 *
 * Locking: `lock` is a reader/writer lock over the seal state and the
 * mount table. Every request holds it for reading while it runs; sealing,
 * unsealing and changes to the mount table hold it for writing, so that no
 * request ever sees a mount being torn down or a key being wiped.
 */
#ifndef COFFER_CORE_CORE_INTERNAL_H
#define COFFER_CORE_CORE_INTERNAL_H

#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "core/barrier.h"
#include "core/core.h"
#include "core/mount.h"
#include "core/namespaces.h"
#include "core/policy_store.h"
#include "core/seal.h"
#include "core/token.h"

struct audit_broker;
struct ha_state;

struct mount_table {
	struct mount **items; /* longest path first, for prefix routing */
	size_t len;
	size_t alloc;
};

struct core {
	struct storage *phys; /* owned */
	struct barrier *barrier;
	struct seal *seal;
	struct storage *enc; /* the barrier's view; not owned */
	pthread_rwlock_t lock;

	bool unsealed; /* mounts and tokens are loaded */
	/*
	 * HA (core/ha.c): the barrier is unsealed but another server is
	 * active, so nothing is loaded and requests are redirected. Never
	 * true together with unsealed. Both change under the write lock.
	 */
	bool standby;
	struct ha_state *ha; /* NULL unless the storage offers HA */
	struct mount_table mounts;
	struct ns_table namespaces;
	struct token_store *tokens;
	struct policy_store *policies; /* ACL policies; set while unsealed */
	struct lease_mgr *leases;      /* started after tokens and mounts */
	struct audit_broker *audit;    /* audit devices (issue 6) */

	struct core_options opts;
	char *api_addr;
	char cluster_id[37];
	int64_t start_time;
};

/* Loads the mount tables after an unseal; the write lock is held. */
err_t mounts_load(struct core *c);

/* Tears down every mount; the write lock is held. */
void mounts_unload(struct core *c);

/* Writes the default mounts of a new server; the write lock is held. */
err_t mounts_setup_defaults(struct core *c);

/*
 * Finds the mount owning path in namespace ns by longest prefix. Returns
 * NULL when none does. The read lock is held by the caller.
 */
struct mount *mounts_route(struct core *c, const char *ns, const char *path);

/*
 * The types made at init that serve every namespace from the root and can
 * be neither enabled nor disabled: system, token, cubbyhole.
 */
bool mounts_type_builtin(const char *type);

/* Finds the mount at exactly path ("secret/", "auth/token/"). */
struct mount *mounts_find(struct core *c, const char *ns, const char *path);

/*
 * Enables a backend of type at path (with trailing "/"), from the options
 * of a sys/mounts or sys/auth request. The write lock is held. Bad input:
 * ERR_INVALID with the reason in resp.
 */
err_t mounts_enable(struct core *c, const char *ns, const char *path,
                    enum mount_kind kind, json_t *params,
                    struct response *resp);

/* Disables the mount at path and deletes its storage. Write lock held. */
err_t mounts_disable(struct core *c, const char *ns, const char *path,
                     struct response *resp);

/* Applies a sys/mounts/<path>/tune request. Write lock held. */
err_t mounts_tune(struct core *c, struct mount *m, json_t *params,
                  struct response *resp);

/* Describes a mount the way sys/mounts lists it. New reference. */
json_t *mounts_describe(const struct mount *m);

/* The mount-table persistence key for a kind: "core/mounts", "core/auth". */
err_t mounts_save(struct core *c, enum mount_kind kind);

/*
 * Runs the steps that follow a successful unseal: load mounts and the
 * token store. On failure the core seals again. With HA the server
 * becomes a standby instead, and loads when it takes the lock. Write lock
 * held.
 */
err_t core_post_unseal(struct core *c);

/*
 * Loads what an active server serves from (namespaces, policies, tokens,
 * mounts, leases, audit) from storage; on failure unloads again, leaving
 * the barrier as it is. Write lock held.
 */
err_t core_load_state(struct core *c);

/* Drops everything core_load_state loaded; the barrier stays. Write lock
 * held. */
void core_unload_state(struct core *c);

/*
 * Checks the ACL of the token e for req: its policies' capabilities on the
 * path (relative to the token's namespace), sudo on root-protected paths,
 * and the wrapping TTL limits. An update of a missing object is turned
 * into a create. Fills resp and returns ERR_PERMISSION when refused.
 */
err_t core_acl_check(struct core *c, struct request *req,
                     const struct token_entry *e, struct response *resp);

/* True for a wrapping token (policy "response-wrapping"). */
bool core_is_wrapping_token(const struct token_entry *e);

/*
 * Puts text in the cubbyhole of a new single-use wrapping token of ns
 * that lives ttl seconds, and describes it in *wrap_info (new reference:
 * token, accessor, ttl, creation_time, creation_path and, when given,
 * wrapped_accessor).
 */
err_t core_wrap_text(struct core *c, const char *ns, const char *path,
                     const char *text, int64_t ttl,
                     const char *wrapped_accessor, json_t **wrap_info);

/*
 * Wraps resp in place when req asked for it with X-Vault-Wrap-TTL and it
 * has something to wrap. On failure nothing of the response is left.
 */
err_t core_wrap_response(struct core *c, struct request *req,
                         struct response *resp);

/*
 * Removes what a namespace being deleted still holds outside its mounts:
 * its tokens, leases and policies. The write lock is held.
 */
err_t core_namespace_purge(struct core *c, const char *ns);

/* Seals: tears everything down and wipes keys. Write lock held. */
void core_seal_locked(struct core *c);

/*
 * Initialises a new server with the given shares; fills keys (array of
 * shares bufs) and *root_token (heap, a secret). root_token_id picks the
 * root token's value (dev mode) or is NULL for a random one. Leaves the
 * server sealed. The write lock is held.
 */
err_t core_initialize(struct core *c, int shares, int threshold,
                      const char *root_token_id, struct buf *keys,
                      char **root_token, struct response *resp);

/* The system backend, and the pre-unseal handlers it answers while sealed. */
extern const struct mount_backend system_backend;
extern const struct mount_backend token_backend;

/*
 * Handles the sys paths that work while sealed (init, seal-status, unseal,
 * health, leader). Returns true when path was one of them and resp is
 * filled; the caller holds no lock.
 */
bool sys_handle_unsealed_paths(struct core *c, struct request *req,
                               struct response *resp);

/* True for the sys paths that need the core's write lock. */
bool sys_needs_write_lock(const struct request *req);

#endif

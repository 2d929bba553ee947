/*
 * approle_internal.h - what the files of the AppRole method share:
 * approle.c (setup, routing, login), approle_role.c (roles and role IDs)
 * and approle_secret.c (secret IDs).
 *
 * Storage, in the mount's view:
 *   hmac-key                         32 random bytes, made at first setup
 *   role/<name>                      the role (JSON), with its role_id and
 *                                    a random "uuid" naming its secret IDs
 *   role-id/<hmac(role_id)>          the role's name
 *   secret-id/<uuid>/<hmac(value)>   one secret ID (JSON), never its value
 *   accessor/<uuid>/<accessor>       hmac(value) of the secret ID
 *
 * Secret IDs sit below their role's uuid, so an accessor or value can
 * only ever be found through the role it was made for (CVE-2023-24999),
 * and a role deleted and made again under the same name does not inherit
 * the old secret IDs.
 *
 * Known shortcomings: the locks below are per process, which is enough
 * while one active server serves a storage (the HA design); the single
 * field endpoints (role/<name>/policies and the like) and the
 * wrapped_accessor of a wrapped secret-id answer are not there yet.
 */
#ifndef COFFER_AUTH_APPROLE_APPROLE_INTERNAL_H
#define COFFER_AUTH_APPROLE_APPROLE_INTERNAL_H

#include <pthread.h>
#include <stdint.h>

#include "auth/approle/approle.h"
#include "base/buf.h"
#include "core/lease.h"

#define APPROLE_KEY_LEN     32
#define APPROLE_HASH_LEN    64
#define APPROLE_MAX_NAME    128
#define APPROLE_MAX_SECRET  1024
#define APPROLE_USE_STRIPES 16

struct approle_state {
	uint8_t key[APPROLE_KEY_LEN];
	/* Orders role writes, so a role ID is never given to two roles. */
	pthread_mutex_t roles;
	/*
	 * Orders uses of one secret ID (striped by its hash): the read,
	 * check and decrement of num_uses is one step, so a one-use secret
	 * ID presented twice at once gives one token.
	 */
	pthread_mutex_t uses[APPROLE_USE_STRIPES];
};

/* HMAC-SHA256 of value with the mount's key, as 64 hex digits. */
err_t approle_hash(struct mount *m, const char *value,
                   char out[APPROLE_HASH_LEN + 1]);

/* The lock that orders uses of the secret ID with hash. */
pthread_mutex_t *approle_use_lock(struct mount *m, const char *hash);

/*
 * Lowercases a role name from a path into out. ERR_INVALID when it is
 * empty, too long, or holds anything but [A-Za-z0-9_.@-].
 */
err_t approle_role_name(const char *in, struct buf *out);

/* Loads role name. ERR_NOT_FOUND when there is none. */
err_t approle_role_get(struct mount *m, const char *name, json_t **out);

/* Loads the role whose role ID is role_id. ERR_NOT_FOUND when none. */
err_t approle_role_by_id(struct mount *m, const char *role_id, json_t **out);

/* Loads JSON at key; ERR_NOT_FOUND when absent. */
err_t approle_load(struct mount *m, const char *key, json_t **out);

/* Adds the put of o as JSON at key to t. */
err_t approle_txn_put_json(struct lease_txn *t, const char *key, json_t *o);

/* Unix time now. */
int64_t approle_now(void);

/* role, role/<name>[/role-id]: the handlers of approle_role.c. */
err_t approle_role_route(struct mount *m, struct request *req, const char *name,
                         const char *sub, struct response *resp);

/* role/<name>/secret-id..., custom-secret-id: approle_secret.c. */
err_t approle_secret_route(struct mount *m, struct request *req, json_t *role,
                           const char *sub, struct response *resp);

/* Adds the deletes of every secret ID of role to t. */
err_t approle_secret_txn_delete_all(struct mount *m, json_t *role,
                                    struct lease_txn *t);

/*
 * Spends one use of the secret ID value of role for a login from addr:
 * checks it exists, has not expired and allows addr, then decrements
 * its uses (deleting it at the last). *secret is the record as it was.
 * ERR_PERMISSION for an unknown or expired secret ID, ERR_INVALID (resp
 * filled) for a refused address, or a storage error.
 */
err_t approle_secret_use(struct mount *m, json_t *role, const char *value,
                         const char *addr, json_t **secret,
                         struct response *resp);

/* POST tidy/secret-id. */
err_t approle_tidy(struct mount *m, struct response *resp);

#endif

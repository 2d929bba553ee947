/*
 * database.h - shared internals of the database secrets engine.
 *
 * Storage layout in the mount's view (all JSON objects):
 *   config/<name>       a connection: plugin, URL, root user and password,
 *                       and "pending_password" while rotate-root runs
 *   role/<name>         a dynamic role: statements and TTLs
 *   static-role/<name>  a static role: the user, its current password,
 *                       and "pending_password" while a rotation runs
 *   pending/<user>      write-ahead record of a dynamic user being made
 *
 * Two write-ahead rules make the engine crash-safe:
 *  1. A dynamic user is recorded under pending/ before it is created, and
 *     that record is deleted in the same storage commit that writes its
 *     lease (core/secret_lease.h). A pending record left by an earlier
 *     run of the server (its "boot" differs) therefore names a user that
 *     no lease tracks: the worker drops it.
 *  2. A new password (static role or root) is stored as pending_password
 *     before it is set in the database, and becomes the password only
 *     once the database took it. A pending password left by a crash or an
 *     outage is set again (idempotent) by the worker until it succeeds.
 *
 * Locks: st->lock guards the pools and the retry table and is never held
 * across a database call; st->rotate_lock serialises rotations and the
 * static-creds reads that must not see one half-done. Order: rotate_lock,
 * then lock.
 */
#ifndef COFFER_ENGINES_DATABASE_DATABASE_H
#define COFFER_ENGINES_DATABASE_DATABASE_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "core/mount.h"
#include "core/request.h"
#include "engines/database/db_plugin.h"

#define DB_NAME_MAX            128
#define DB_POOL_DEFAULT        4 /* max_open_connections */
#define DB_POOL_LIMIT          64
#define DB_POOL_WAIT           10 /* seconds to wait for a free connection */
#define DB_PASSWORD_LEN        20
#define DB_PASSWORD_MIN        8
#define DB_PASSWORD_MAX        128
#define DB_MIN_ROTATION_PERIOD 5     /* seconds */
#define DB_DEFAULT_ROTATION    86400 /* seconds */
#define DB_RETRY_CAP           60    /* seconds between worker retries */

struct db_pool;
struct db_retry;

struct db_state {
	struct mount *m;
	char boot[25]; /* tags the pending records this run writes */

	pthread_mutex_t lock; /* pools, retries, stop */
	pthread_cond_t wake;  /* the worker's sleep; pools' free slots */
	struct db_pool *pools;
	struct db_retry *retries;

	pthread_mutex_t rotate_lock;
	pthread_t worker;
	bool worker_started;
	bool stop;
};

/* A connection's settings, as config/<name> holds them. */
struct db_config {
	char *name;
	const struct db_plugin *plugin;
	json_t *raw; /* the stored object; owns the strings below */
	const char *url, *username, *password, *pending_password;
	const char *password_policy, *username_template;
	json_t *allowed_roles, *root_rotation;
	int64_t max_open;
};

void db_config_release(struct db_config *cfg);

/*
 * Fills cfg from raw (a config object; cfg takes its own reference).
 * ERR_INVALID when it names a plugin this build lacks.
 */
err_t db_config_parse(const char *name, json_t *raw, struct db_config *cfg);

/*
 * Loads config/<name>. ERR_NOT_FOUND when absent; ERR_INVALID when it
 * names a plugin this build lacks.
 */
err_t db_config_load(struct db_state *st, const char *name,
                     struct db_config *cfg);

/* Whether role may use cfg (allowed_roles holds it or "*"). */
bool db_config_allows(const struct db_config *cfg, const char *role);

/* Storage helpers: a JSON object under key; *found false when absent. */
err_t db_load(struct db_state *st, const char *key, json_t **out, bool *found);
err_t db_store(struct db_state *st, const char *key, json_t *obj);

/* "<prefix><name>" into out. */
err_t db_key(struct buf *out, const char *prefix, const char *name);

/* A path segment name: 1..DB_NAME_MAX bytes, no "/", no control bytes. */
bool db_name_ok(const char *name);

/* Answers a LIST of prefix: {"keys": [...]} or 404. */
err_t db_list(struct db_state *st, const char *prefix, struct response *resp);

/*
 * An operation on one connection. The pool retries it once on a fresh
 * connection when a pooled one turns out to be dead.
 */
typedef err_t (*db_op_fn)(const struct db_plugin *p, struct db_conn *c,
                          void *arg, struct buf *why);

/*
 * Runs op on a connection of cfg's pool (at most cfg->max_open open at
 * once; waits DB_POOL_WAIT seconds for one). why gets the reason of a
 * failure; ERR_UNAVAILABLE when the database cannot be reached.
 */
err_t db_with_conn(struct db_state *st, const struct db_config *cfg,
                   db_op_fn op, void *arg, struct buf *why);

/* What the db_op_* operations below act with. */
struct db_stmt_op {
	json_t *stmts;    /* the operator's statements, or NULL */
	json_t *rollback; /* creation only */
	struct db_vars vars;
	bool unsure; /* creation: the connection broke half-way */
};

/* db_op_fn adapters for the plugin's calls; arg is a struct db_stmt_op. */
err_t db_op_verify(const struct db_plugin *p, struct db_conn *c, void *arg,
                   struct buf *why);
err_t db_op_create(const struct db_plugin *p, struct db_conn *c, void *arg,
                   struct buf *why);
err_t db_op_revoke(const struct db_plugin *p, struct db_conn *c, void *arg,
                   struct buf *why);
err_t db_op_renew(const struct db_plugin *p, struct db_conn *c, void *arg,
                  struct buf *why);
err_t db_op_set_password(const struct db_plugin *p, struct db_conn *c,
                         void *arg, struct buf *why);

/*
 * A statement list parameter: a JSON array of strings, or one string
 * (kept whole: statements may hold commas). *out is a new array.
 * ERR_NOT_FOUND when absent, ERR_INVALID for another type.
 */
err_t db_param_statements(json_t *data, const char *key, json_t **out);

/* Sets key of obj to a copy of the statement parameter, if present. */
err_t db_copy_statements(json_t *data, const char *key, json_t *obj,
                         struct response *resp);

/* Closes the pool of name: its connections are made anew on next use. */
void db_pool_reset(struct db_state *st, const char *name);

/* Closes every pool (teardown). */
void db_pool_free_all(struct db_state *st);

/*
 * The worker's retry table: whether key may be tried now, and recording
 * a failure (exponential backoff to DB_RETRY_CAP) or a success.
 */
bool db_retry_due(struct db_state *st, const char *key, int64_t now);
void db_retry_failed(struct db_state *st, const char *key, int64_t now);
void db_retry_clear(struct db_state *st, const char *key);
void db_retry_free_all(struct db_state *st);

/* Starts and stops the background worker (rotations, orphans). */
err_t db_worker_start(struct db_state *st);
void db_worker_stop(struct db_state *st);

/*
 * A password under policy ("" or "length=N"): from [A-Za-z0-9-], with at
 * least one lower-case letter, capital, digit and dash. *out is a heap
 * string for secret_free. ERR_INVALID for a policy this build does not
 * know.
 */
err_t db_password_new(const char *policy, char **out);

/* Checks a password_policy without making a password. */
bool db_password_policy_ok(const char *policy);

/*
 * A new user name for role from tmpl (NULL or "" for the default
 * "v-<display>-<role>-<random>-<time>"), limited to the characters
 * [A-Za-z0-9_-] and to max bytes. Template words: {{.RoleName}},
 * {{.DisplayName}}, {{random N}}, {{unix_time}}. ERR_INVALID for any other.
 */
err_t db_username_new(const char *tmpl, const char *display, const char *role,
                      size_t max, struct buf *out);

/* "2026-01-02 15:04:05+0000" for the unix time t. */
void db_expiration(int64_t t, char out[32]);

/* Paths, one file each. */
err_t db_config_handle(struct db_state *st, struct request *req,
                       const char *name, struct response *resp);
err_t db_reset_handle(struct db_state *st, struct request *req,
                      const char *name, struct response *resp);
err_t db_rotate_root_handle(struct db_state *st, struct request *req,
                            const char *name, struct response *resp);
err_t db_role_handle(struct db_state *st, struct request *req, const char *name,
                     struct response *resp);
err_t db_creds_handle(struct db_state *st, struct request *req,
                      const char *name, struct response *resp);
err_t db_static_role_handle(struct db_state *st, struct request *req,
                            const char *name, struct response *resp);
err_t db_static_creds_handle(struct db_state *st, struct request *req,
                             const char *name, struct response *resp);
err_t db_rotate_role_handle(struct db_state *st, struct request *req,
                            const char *name, struct response *resp);

/*
 * Completes or retries the rotations the worker owns: a pending root
 * password of config name, and static role name when due (or force).
 * why gets the reason of a failure.
 */
err_t db_rotate_root_finish(struct db_state *st, const char *name,
                            struct buf *why);
err_t db_rotate_static(struct db_state *st, const char *name, bool force,
                       struct buf *why);

/* Drops the user of an orphaned pending record (key "pending/<user>"). */
err_t db_orphan_drop(struct db_state *st, const char *key, struct buf *why);

/* The lease callbacks of the backend. */
err_t db_lease_revoke(struct mount *m, json_t *secret, struct response *resp);
err_t db_lease_renew(struct mount *m, json_t *secret, int64_t increment,
                     struct response *resp);

/* Whether rel names a stored object (for the ACL's create/update). */
err_t db_exists(struct db_state *st, const char *rel, bool *found);

#endif

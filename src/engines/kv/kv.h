/*
 * kv.h - shared internals of the KV secrets engine (versions 1 and 2).
 *
 * One mount type "kv" serves both versions; m->options "version" picks
 * which at setup. The pieces shared by both live in kv.c: the per-mount
 * state, secret-path checks, and JSON load/store of storage values.
 */
#ifndef COFFER_ENGINES_KV_KV_H
#define COFFER_ENGINES_KV_KV_H

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"
#include "core/mount.h"
#include "core/request.h"
#include "storage/storage.h"

/* Number of path-striped write locks per mount. */
#define KV_STRIPES 64

/*
 * Longest secret path accepted. The view adds its own prefix and kv adds
 * "ver/" and a version number, so this stays well under STORAGE_MAX_KEY.
 */
#define KV_MAX_PATH 2048

/* Lease Vault reports for a v1 read when nothing else sets one: 32 days. */
#define KV_DEFAULT_LEASE 2764800

struct kv_state {
	int version; /* 1 or 2 */
	/*
	 * Writers to one secret take the stripe of its path, so that a
	 * read-modify-commit (check-and-set, version numbering) is never
	 * interleaved with another on the same path.
	 */
	pthread_mutex_t stripes[KV_STRIPES];
	/*
	 * The mount's view behind a read cache: every kv read and write goes
	 * through it, so a hot secret is neither read from disk, decrypted
	 * nor parsed again until it changes. Bounded by KV_CACHE_ENTRIES.
	 */
	struct storage *store;
};

/*
 * Stored values kept per mount: a secret's metadata and its current
 * version count apart, so this holds 16k hot secrets, parsed (about
 * 1.5 KiB each); the 1M-secret benchmark row bounds it.
 */
#define KV_CACHE_ENTRIES 32768

/* The storage every kv handler uses: the cached view of the mount. */
struct storage *kv_store(const struct mount *m);

/* The stripe lock guarding path; never NULL. */
pthread_mutex_t *kv_stripe(struct kv_state *st, const char *path);

/*
 * Checks a secret path for a non-list operation: not empty, no empty,
 * "." or ".." segment, no leading or trailing "/", at most KV_MAX_PATH
 * bytes. On failure fills resp (404 when empty, 400 otherwise) and returns
 * the code.
 */
err_t kv_check_path(const char *path, struct response *resp);

/*
 * Turns a list path ("", "a", "a/") into a storage prefix: base + path,
 * with a trailing "/" added when path is not empty. On failure fills resp.
 */
err_t kv_list_prefix(const char *base, const char *path, struct buf *out,
                     struct response *resp);

/*
 * Loads the JSON object stored under key. *found tells whether the key
 * exists; *out is a new reference when it does, and may be shared with
 * other readers through the mount's read cache (storage/cache.h): never
 * modify it, json_deep_copy first. A value that is not a JSON object is
 * ERR_INTERNAL (storage holds only what kv wrote).
 */
err_t kv_load_json(struct storage *s, const char *key, json_t **out,
                   bool *found);

/*
 * Serialises obj compactly. *out is a heap string the caller releases with
 * secret_free (it may hold secret values); *len its length.
 */
err_t kv_dump_json(const json_t *obj, char **out, size_t *len);

/* Lists prefix and answers {"keys": [...]}, or 404 {"errors": []}. */
err_t kv_list_keys(struct storage *s, const char *prefix,
                   struct response *resp);

/* Entry points of each version, called by kv.c. */
err_t kv1_handle(struct mount *m, struct request *req, struct response *resp);
err_t kv1_exists(struct mount *m, const char *rel, bool *found);
err_t kv2_handle(struct mount *m, struct request *req, struct response *resp);
err_t kv2_exists(struct mount *m, const char *rel, bool *found);

#endif

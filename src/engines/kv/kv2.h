/*
 * kv2.h - internals of KV version 2: the metadata record, the mount
 * configuration, the write batch, and the handler of each API path.
 *
 * Times are kept as nanoseconds since the Unix epoch (0 = unset) and shown
 * as RFC 3339 with nanoseconds.
 */
#ifndef COFFER_ENGINES_KV_KV2_H
#define COFFER_ENGINES_KV_KV2_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "core/mount.h"
#include "core/request.h"
#include "engines/kv/kv.h"
#include "storage/storage.h"

/* Versions kept per secret when neither the secret nor the mount says. */
#define KV2_DEFAULT_MAX_VERSIONS 10

/* Vault's limits on custom_metadata. */
#define KV2_CUSTOM_MAX_KEYS  64
#define KV2_CUSTOM_MAX_KEY   128
#define KV2_CUSTOM_MAX_VALUE 512

/* The mount-wide settings of the "config" path. */
struct kv2_config {
	int64_t max_versions; /* 0: the default */
	bool cas_required;
	int64_t delete_after; /* seconds, 0: never */
};

struct kv2_version {
	int64_t version;
	int64_t created;  /* ns */
	int64_t deletion; /* ns; 0: not deleted. May lie in the future. */
	bool destroyed;
};

/* Everything known about one secret apart from its versions' data. */
struct kv2_meta {
	bool cas_required;
	int64_t max_versions; /* 0: the mount's setting */
	int64_t delete_after; /* seconds; 0: the mount's setting */
	json_t *custom;       /* string map, or NULL when unset */
	int64_t created, updated;
	int64_t current, oldest;
	struct kv2_version *versions; /* ascending by version */
	size_t nversions, alloc;
};

/* Storage operations collected for one atomic storage_commit. */
struct kv2_batch {
	struct storage_op *ops;
	char **keys; /* owned, one per op */
	size_t n, alloc;
};

/* The settings shared by config and metadata writes; has_* tell which. */
struct kv2_settings {
	bool has_max, has_cas, has_dva;
	int64_t max_versions;
	bool cas_required;
	int64_t delete_after;
};

/* A version looked up for a read (data or subkeys). */
struct kv2_lookup {
	struct kv2_meta meta;
	const struct kv2_version *v; /* inside meta */
	json_t *data; /* its data, or NULL when deleted or destroyed */
};

typedef err_t (*kv2_fn)(struct mount *m, struct request *req,
                        struct response *resp, const char *path);

/* kv2_store.c: keys, records and the batch. */

/* The current time in ns. */
int64_t kv2_now(void);

/* Formats ns as RFC 3339 with nanoseconds, or "" for 0. */
void kv2_time_str(int64_t ns, char out[40]);

/* "meta/<path>" and "ver/<path>/<version>" into out (appended). */
err_t kv2_meta_key(const char *path, struct buf *out);
err_t kv2_version_key(const char *path, int64_t version, struct buf *out);

void kv2_meta_init(struct kv2_meta *meta);
void kv2_meta_release(struct kv2_meta *meta);

/*
 * Loads the metadata of path into an initialised meta. *found false leaves
 * meta empty. A record kv could not have written is ERR_INTERNAL.
 */
err_t kv2_meta_load(struct storage *s, const char *path, struct kv2_meta *meta,
                    bool *found);

/* The entry for version, or NULL. */
struct kv2_version *kv2_meta_find(const struct kv2_meta *meta, int64_t version);

/* Whether a version is soft-deleted (its deletion time has passed). */
bool kv2_version_deleted(const struct kv2_version *v, int64_t now);

/*
 * The shape Vault gives a version: created_time, deletion_time, destroyed,
 * plus custom_metadata and version when full (data and subkeys answers).
 * NULL on allocation failure.
 */
json_t *kv2_version_json(const struct kv2_meta *meta,
                         const struct kv2_version *v, bool full);

/*
 * Appends a new version created at now, under the write rules of cfg:
 * its deletion time follows delete_version_after, and versions beyond
 * max_versions are dropped from meta and their data deleted through b.
 * *out points at the new entry inside meta.
 */
err_t kv2_meta_add_version(struct kv2_meta *meta, const struct kv2_config *cfg,
                           const char *path, int64_t now, struct kv2_batch *b,
                           struct kv2_version **out);

/*
 * Adds a put of meta to b and commits b as one storage transaction.
 * Returns the storage error; nothing is written on failure.
 */
err_t kv2_meta_commit(struct storage *s, const char *path,
                      const struct kv2_meta *meta, struct kv2_batch *b);

/*
 * Changes the metadata of one secret: edit runs under the path's stripe
 * lock on the stored record (empty, with found false, when there is none),
 * may queue more storage operations in b, and sets *save to have the
 * record and b committed as one transaction. On failure edit fills resp
 * and nothing is written.
 */
typedef err_t (*kv2_edit_fn)(struct mount *m, const char *path,
                             struct kv2_meta *meta, bool found,
                             struct kv2_batch *b, void *arg, bool *save,
                             struct response *resp);
err_t kv2_meta_edit(struct mount *m, const char *path, kv2_edit_fn edit,
                    void *arg, struct response *resp);

/* Loads the "config" record (defaults when absent). */
err_t kv2_config_load(struct storage *s, struct kv2_config *cfg);

void kv2_batch_init(struct kv2_batch *b);
void kv2_batch_release(struct kv2_batch *b);
/* Queues a put or delete; key is copied, value is borrowed until commit. */
err_t kv2_batch_add(struct kv2_batch *b, enum storage_op_kind kind,
                    const char *key, const uint8_t *value, size_t len);

/*
 * Looks up version (0: the current one) of path for a read. Answers 404
 * {"errors": []} itself when there is no such version. On ERR_OK out->v is
 * set and out->data is NULL when the version is deleted or destroyed.
 * Release out->meta and out->data afterwards in every case.
 */
err_t kv2_lookup(struct mount *m, const char *path, int64_t version,
                 struct kv2_lookup *out, struct response *resp);

/*
 * Reads the optional "version" parameter: 0 when absent, 400 in resp when
 * it is not a non-negative integer.
 */
err_t kv2_param_version(json_t *data, int64_t *out, struct response *resp);

/*
 * Reads max_versions (>= 0), cas_required and delete_version_after from
 * a request. A present but malformed one is 400 in resp.
 */
err_t kv2_param_settings(json_t *data, struct kv2_settings *out,
                         struct response *resp);

/* The handlers, one file per path family. */
err_t kv2_config_read(struct mount *m, struct request *req,
                      struct response *resp, const char *path);
err_t kv2_config_write(struct mount *m, struct request *req,
                       struct response *resp, const char *path);
err_t kv2_data_read(struct mount *m, struct request *req, struct response *resp,
                    const char *path);
err_t kv2_data_write(struct mount *m, struct request *req,
                     struct response *resp, const char *path);
err_t kv2_data_patch(struct mount *m, struct request *req,
                     struct response *resp, const char *path);
err_t kv2_data_delete(struct mount *m, struct request *req,
                      struct response *resp, const char *path);
err_t kv2_metadata_read(struct mount *m, struct request *req,
                        struct response *resp, const char *path);
err_t kv2_metadata_write(struct mount *m, struct request *req,
                         struct response *resp, const char *path);
err_t kv2_metadata_patch(struct mount *m, struct request *req,
                         struct response *resp, const char *path);
err_t kv2_metadata_delete(struct mount *m, struct request *req,
                          struct response *resp, const char *path);
err_t kv2_metadata_list(struct mount *m, struct request *req,
                        struct response *resp, const char *path);
err_t kv2_versions_delete(struct mount *m, struct request *req,
                          struct response *resp, const char *path);
err_t kv2_versions_undelete(struct mount *m, struct request *req,
                            struct response *resp, const char *path);
err_t kv2_versions_destroy(struct mount *m, struct request *req,
                           struct response *resp, const char *path);
err_t kv2_subkeys_read(struct mount *m, struct request *req,
                       struct response *resp, const char *path);

#endif

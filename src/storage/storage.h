/*
 * storage.h - the physical storage interface: bytes under keys.
 *
 * A backend knows nothing of encryption or API paths. Keys are NUL-free
 * strings of at most STORAGE_MAX_KEY bytes, with "/" separating levels;
 * values are opaque bytes of at most STORAGE_MAX_VALUE bytes.
 *
 * The barrier (core/barrier.h) and the per-mount views (core/view.h)
 * implement this same interface on top of a backend, so a mount sees the
 * same five calls whether it talks to raw storage or to an encrypted view.
 *
 * Contract for every implementation:
 * - Every call may be made from several threads at once.
 * - A call that returns ERR_OK for a write has made it durable: it survives
 *   a crash of the process (and, for sqlite with the default settings, of
 *   the machine).
 * - commit() applies all its operations or none of them.
 * - list() returns the direct children of a prefix, sorted, as a new JSON
 *   array of strings: "a" for a key prefix+"a", "b/" for any key below
 *   prefix+"b/". The prefix is "" or ends with "/". No children: [].
 */
#ifndef COFFER_STORAGE_STORAGE_H
#define COFFER_STORAGE_STORAGE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

#define STORAGE_MAX_KEY   4096
#define STORAGE_MAX_VALUE ((size_t)64 << 20)

struct storage;

enum storage_op_kind {
	STORAGE_PUT,
	STORAGE_DELETE,
};

struct storage_op {
	enum storage_op_kind kind;
	const char *key;
	const uint8_t *value; /* PUT only */
	size_t len;           /* PUT only */
};

struct storage_ops {
	/* Copies the value into out (appending); *found tells if it exists. */
	err_t (*get)(struct storage *s, const char *key, struct buf *out,
	             bool *found);
	err_t (*put)(struct storage *s, const char *key, const uint8_t *value,
	             size_t len);
	/* Deleting a missing key is not an error. */
	err_t (*delete)(struct storage *s, const char *key);
	err_t (*list)(struct storage *s, const char *prefix, json_t **keys);
	err_t (*commit)(struct storage *s, const struct storage_op *ops,
	                size_t n);
	/* Releases everything; s may be NULL. */
	void (*free)(struct storage *s);
};

/* Implementations embed this as their first member. */
struct storage {
	const struct storage_ops *ops;
	const char *type;
};

/*
 * Opens a backend by type ("inmem", "sqlite") with its configuration, a
 * JSON object of string values from the server configuration (for sqlite:
 * "path", optional "synchronous" = "full"|"normal", "busy_timeout" in ms).
 * On failure writes a one-line reason into errmsg.
 */
err_t storage_open(const char *type, json_t *config, struct storage **out,
                   char *errmsg, size_t errlen);

static inline err_t storage_get(struct storage *s, const char *key,
                                struct buf *out, bool *found)
{
	return s->ops->get(s, key, out, found);
}

static inline err_t storage_put(struct storage *s, const char *key,
                                const uint8_t *value, size_t len)
{
	return s->ops->put(s, key, value, len);
}

static inline err_t storage_delete(struct storage *s, const char *key)
{
	return s->ops->delete (s, key);
}

static inline err_t storage_list(struct storage *s, const char *prefix,
                                 json_t **keys)
{
	return s->ops->list(s, prefix, keys);
}

static inline err_t storage_commit(struct storage *s,
                                   const struct storage_op *ops, size_t n)
{
	return s->ops->commit(s, ops, n);
}

static inline void storage_free(struct storage *s)
{
	if (s != NULL)
		s->ops->free(s);
}

/* Backends, registered in storage.c. */
err_t inmem_open(json_t *config, struct storage **out, char *errmsg,
                 size_t errlen);
err_t sqlite_open(json_t *config, struct storage **out, char *errmsg,
                  size_t errlen);

#endif

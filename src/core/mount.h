/*
 * mount.h - the interface every secrets engine and auth method implements.
 *
 * A mount is one instance of a backend at a path inside a namespace. The
 * core routes a request to the mount with the longest matching path prefix
 * and calls backend->handle with req->rel set to the rest of the path.
 * A backend sees storage only through m->view, an encrypted view rooted at
 * the mount's private prefix; it never touches anything outside it.
 */
#ifndef COFFER_CORE_MOUNT_H
#define COFFER_CORE_MOUNT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "core/request.h"
#include "storage/storage.h"

struct core;
struct mount;

enum mount_kind {
	MOUNT_SECRET, /* lives at <path>/ */
	MOUNT_AUTH,   /* lives at auth/<path>/ */
};

struct mount_backend {
	const char *type; /* "kv", "system", "cubbyhole", "token" */
	enum mount_kind kind;

	/*
	 * Builds m->state from m->options when the mount is enabled or loaded
	 * at unseal. Bad options: ERR_INVALID with a message in resp.
	 * Optional.
	 */
	err_t (*setup)(struct mount *m, struct response *resp);

	/* Frees m->state. Optional. */
	void (*teardown)(struct mount *m);

	/* Serves one request; req->rel is the path inside the mount. */
	err_t (*handle)(struct mount *m, struct request *req,
	                struct response *resp);

	/*
	 * Whether the object at req->rel exists, so that the ACL can tell a
	 * create from an update. Optional: without it every write is an
	 * update.
	 */
	err_t (*exists)(struct mount *m, struct request *req, bool *found);

	/*
	 * Whether rel may be called without a token (logins, CA downloads).
	 * Optional: without it every path needs a token.
	 */
	bool (*unauthenticated)(const char *rel, enum op op);

	/*
	 * Lease callbacks for engines that hand out dynamic secrets
	 * (core/lease.h). secret is the blob the engine registered with the
	 * lease. revoke undoes the secret outside (drops the database user);
	 * an error is retried with backoff. renew extends it by increment
	 * seconds and may set resp->lease_duration to grant less. Optional:
	 * without revoke, expiry only forgets the lease; without renew, the
	 * lease is not renewable.
	 */
	err_t (*revoke)(struct mount *m, json_t *secret, struct response *resp);
	err_t (*renew)(struct mount *m, json_t *secret, int64_t increment,
	               struct response *resp);
};

struct mount {
	char *ns;          /* namespace path: "" for the root namespace */
	char *path;        /* "secret/", or "auth/approle/" for auth mounts */
	char *type;        /* the type as enabled, e.g. "kv" */
	char uuid[37];     /* names the private storage prefix */
	char accessor[48]; /* "kv_1a2b3c4d" */
	char *description;
	json_t *options;           /* string map, e.g. {"version": "2"} */
	int64_t default_lease_ttl; /* seconds; 0 = the system default */
	int64_t max_lease_ttl;     /* seconds; 0 = the system default */
	bool local;
	bool seal_wrap;

	const struct mount_backend *backend;
	struct storage *view; /* encrypted, rooted at logical/<uuid>/ */
	struct core *core;
	void *state; /* the backend's own */
};

/* Finds a backend by type, following aliases ("kv-v2" -> "kv"). */
const struct mount_backend *mount_backend_find(const char *type);

/* The backends, each defined in its engine's folder. */
extern const struct mount_backend kv_backend;

#endif

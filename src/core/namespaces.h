/*
 * namespaces.h - tenants: isolated realms of mounts, policies, tokens and
 * leases, nested like folders ("team-a/", "team-a/ci/").
 *
 * The root namespace is the empty path and always exists. A request names
 * its namespace with X-Vault-Namespace, with leading path segments, or
 * both (the path part is relative to the header). Each namespace is one
 * storage entry under "sys/namespace/", loaded into memory at unseal.
 */
#ifndef COFFER_CORE_NAMESPACES_H
#define COFFER_CORE_NAMESPACES_H

#include <jansson.h>

#include "base/error.h"
#include "core/request.h"

struct core;

struct namespace
{
	char *path;              /* "team-a/", always with one trailing slash */
	char id[8];              /* short random id, as Vault shows it */
	json_t *custom_metadata; /* string map, never NULL */
};

struct ns_table {
	struct namespace **items; /* sorted by path */
	size_t len;
	size_t alloc;
};

/* Loads every namespace at unseal; the write lock is held. */
err_t namespaces_load(struct core *c);

/* Forgets them at seal; the write lock is held. */
void namespaces_unload(struct core *c);

/* The namespace at exactly path ("" is the root, NULL is returned). */
const struct namespace *namespaces_find(struct core *c, const char *path);

/*
 * Settles which namespace a request is in: the header's, extended by any
 * leading path segments that name child namespaces, which are then cut
 * from req->path. An unknown header namespace is ERR_NOT_FOUND. The read
 * lock is held.
 */
err_t namespaces_resolve(struct core *c, struct request *req,
                         struct response *resp);

/* Creates parent + name; the write lock is held. */
err_t namespaces_create(struct core *c, const char *parent, const char *name,
                        json_t *params, struct response *resp);

/*
 * Deletes a namespace that has no child namespaces, with every mount,
 * policy, token and lease in it. The write lock is held.
 */
err_t namespaces_delete(struct core *c, const char *parent, const char *name,
                        struct response *resp);

/* The object sys/namespaces answers with. New reference. */
json_t *namespaces_describe(const struct namespace *ns);

#endif

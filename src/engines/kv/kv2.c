/*
 * kv2.c - KV version 2: routes a path inside the mount to its handler.
 *
 * The first segment names the API family (config, data, metadata, delete,
 * undelete, destroy, subkeys); the rest is the secret path. Each family
 * serves a fixed set of operations; any other is 405, and an unknown
 * family is 404, so that a v1-style read on a v2 mount finds nothing.
 */
#include "engines/kv/kv2.h"

#include <string.h>

struct kv2_route {
	const char *name;
	bool has_path; /* "config" takes none */
	kv2_fn read, write, patch, del, list;
};

static const struct kv2_route routes[] = {
    {"config", false, kv2_config_read, kv2_config_write, NULL, NULL, NULL},
    {"data", true, kv2_data_read, kv2_data_write, kv2_data_patch,
     kv2_data_delete, NULL},
    {"metadata", true, kv2_metadata_read, kv2_metadata_write,
     kv2_metadata_patch, kv2_metadata_delete, kv2_metadata_list},
    {"delete", true, NULL, kv2_versions_delete, NULL, NULL, NULL},
    {"undelete", true, NULL, kv2_versions_undelete, NULL, NULL, NULL},
    {"destroy", true, NULL, kv2_versions_destroy, NULL, NULL, NULL},
    {"subkeys", true, kv2_subkeys_read, NULL, NULL, NULL, NULL},
};

/*
 * Splits rel into its route and secret path. NULL when the first segment
 * is unknown, or when "config" is followed by more.
 */
static const struct kv2_route *route_of(const char *rel, const char **path)
{
	const char *slash = strchr(rel, '/');
	size_t n = slash ? (size_t)(slash - rel) : strlen(rel);
	size_t i;

	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		const struct kv2_route *r = &routes[i];
		if (strlen(r->name) != n || strncmp(rel, r->name, n) != 0)
			continue;
		*path = slash ? slash + 1 : "";
		if (!r->has_path && **path != 0)
			return NULL;
		return r;
	}
	return NULL;
}

static kv2_fn handler_of(const struct kv2_route *r, enum op op)
{
	switch (op) {
	case OP_READ:
		return r->read;
	case OP_CREATE:
	case OP_UPDATE:
		return r->write;
	case OP_PATCH:
		return r->patch;
	case OP_DELETE:
		return r->del;
	case OP_LIST:
		return r->list;
	default:
		return NULL;
	}
}

err_t kv2_handle(struct mount *m, struct request *req, struct response *resp)
{
	const struct kv2_route *r;
	const char *path = "";
	kv2_fn fn;
	err_t rc;

	r = route_of(req->rel, &path);
	if (r == NULL)
		return response_error(resp, ERR_NOT_FOUND, "unsupported path");
	fn = handler_of(r, req->op);
	if (fn == NULL)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");

	/* Only listings may name a directory; the rest need one secret. */
	if (r->has_path && req->op != OP_LIST &&
	    (rc = kv_check_path(path, resp)) != ERR_OK)
		return rc;
	return fn(m, req, resp, path);
}

err_t kv2_exists(struct mount *m, const char *rel, bool *found)
{
	const struct kv2_route *r;
	struct kv2_meta meta;
	const char *path = "";
	bool have;
	err_t rc;

	/* Paths without an object (config, version actions) are updates. */
	*found = true;
	r = route_of(rel, &path);
	if (r == NULL ||
	    (strcmp(r->name, "data") != 0 && strcmp(r->name, "metadata") != 0))
		return ERR_OK;

	*found = false;
	if (*path == 0)
		return ERR_OK;
	kv2_meta_init(&meta);
	rc = kv2_meta_load(kv_store(m), path, &meta, &have);
	if (rc == ERR_OK && have)
		*found = strcmp(r->name, "metadata") == 0 ||
		         kv2_meta_find(&meta, meta.current) != NULL;
	kv2_meta_release(&meta);
	return rc;
}

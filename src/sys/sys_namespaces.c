/*
 * sys_namespaces.c - sys/namespaces: list, create, read, delete the
 * namespaces below the caller's own.
 */
#include <string.h>

#include "sys/sys_internal.h"

static err_t list_children(struct core *c, struct request *req,
                           struct response *resp)
{
	json_t *keys = json_array(), *info = json_object();
	size_t i, n = strlen(req->ns);

	if (keys == NULL || info == NULL) {
		json_decref(keys);
		json_decref(info);
		return response_error(resp, ERR_NOMEM, NULL);
	}
	for (i = 0; i < c->namespaces.len; i++) {
		const struct namespace *ns = c->namespaces.items[i];
		const char *rest = ns->path + n;
		/* Direct children only: one segment below the caller's. */
		if (strncmp(ns->path, req->ns, n) != 0 || *rest == 0 ||
		    strchr(rest, '/') != rest + strlen(rest) - 1)
			continue;
		json_array_append_new(keys, json_string(rest));
		json_object_set_new(info, rest, namespaces_describe(ns));
	}
	if (json_array_size(keys) == 0) {
		json_decref(keys);
		json_decref(info);
		return response_error(resp, ERR_NOT_FOUND, NULL);
	}
	response_set_data(
	    resp, json_pack("{s:o, s:o}", "keys", keys, "key_info", info));
	return ERR_OK;
}

err_t sys_namespaces(struct core *c, struct request *req, struct response *resp)
{
	const char *name = req->rel + strlen("namespaces");
	const struct namespace *ns;
	char path[600];
	size_t n;

	while (*name == '/')
		name++;
	if (*name == 0) {
		if (req->op != OP_LIST && req->op != OP_READ)
			return response_error(resp, ERR_UNSUPPORTED,
			                      "unsupported operation");
		return list_children(c, req, resp);
	}

	switch (req->op) {
	case OP_READ:
		n = strlen(name);
		while (n > 0 && name[n - 1] == '/')
			n--;
		snprintf(path, sizeof(path), "%s%.*s/", req->ns, (int)n, name);
		ns = namespaces_find(c, path);
		if (ns == NULL)
			return response_error(resp, ERR_NOT_FOUND, NULL);
		response_set_data(resp, namespaces_describe(ns));
		return ERR_OK;
	case OP_CREATE:
	case OP_UPDATE:
		return namespaces_create(c, req->ns, name, req->data, resp);
	case OP_DELETE:
		return namespaces_delete(c, req->ns, name, resp);
	case OP_LIST:
		return list_children(c, req, resp);
	default:
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	}
}

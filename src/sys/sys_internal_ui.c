/*
 * sys_internal_ui.c - sys/internal/ui/mounts/<path>: which mount serves a
 * path, with its type and options. The Vault CLI and ours call it to learn
 * whether a KV mount is version 1 or 2 before they build the API path.
 */
#include <string.h>

#include "sys/sys_internal.h"

err_t sys_internal_ui_mounts(struct core *c, struct request *req,
                             struct response *resp)
{
	const char *path = req->rel + strlen("internal/ui/mounts");
	struct mount *m;
	json_t *data;

	if (req->op != OP_READ)
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	while (*path == '/')
		path++;
	if (*path == 0)
		return response_error(resp, ERR_INVALID,
		                      "a path is required, as "
		                      "sys/internal/ui/mounts/<path>");
	m = mounts_route(c, req->ns, path);
	if (m == NULL)
		return response_error(resp, ERR_INVALID,
		                      "no mount serves \"%s\"", path);
	data = mounts_describe(m);
	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	json_object_set_new(data, "path", json_string(m->path));
	response_set_data(resp, data);
	return ERR_OK;
}

/*
 * agent_kvpath.c - the KV v2 path rewrite of agent_kvpath.h.
 */
#include "agent/agent_kvpath.h"

#include <string.h>

static bool starts_with(const char *s, const char *prefix)
{
	return strncmp(s, prefix, strlen(prefix)) == 0;
}

/* The mount serving path when it is KV v2 ("secret/"), else NULL. */
static const char *kv2_mount(json_t *answer)
{
	json_t *data = json_object_get(answer, "data");
	const char *type = json_string_value(json_object_get(data, "type"));
	const char *version = json_string_value(
	    json_object_get(json_object_get(data, "options"), "version"));
	const char *mount = json_string_value(json_object_get(data, "path"));

	if (type == NULL || mount == NULL || version == NULL)
		return NULL;
	if (strcmp(type, "kv") != 0 || strcmp(version, "2") != 0)
		return NULL;
	return mount;
}

err_t agent_kvpath_resolve(struct agent_http *h, const char *token,
                           const char *path, struct buf *out)
{
	struct agent_http_resp resp = {0};
	struct buf ui = BUF_INIT, ignored = BUF_INIT;
	const char *mount, *rest;
	err_t rc;

	rc = buf_printf(&ui, "sys/internal/ui/mounts/%s", path);
	if (rc == ERR_OK &&
	    agent_http_call(h, "GET", buf_str(&ui), token, NULL, &resp,
	                    &ignored) == ERR_OK &&
	    (mount = kv2_mount(resp.json)) != NULL &&
	    starts_with(path, mount)) {
		rest = path + strlen(mount);
		if (!starts_with(rest, "data/") &&
		    !starts_with(rest, "metadata/"))
			rc = buf_printf(out, "%sdata/%s", mount, rest);
		else
			rc = buf_append_str(out, path);
	} else if (rc == ERR_OK) {
		rc = buf_append_str(out, path);
	}
	agent_http_resp_release(&resp);
	buf_release(&ui);
	buf_release(&ignored);
	return rc;
}

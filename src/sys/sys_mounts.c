/*
 * sys_mounts.c - sys/mounts (secrets engines) and sys/auth (auth methods):
 * list, enable, disable, read, tune.
 *
 * Both answer with data copied to the top level of the envelope, as
 * Vault's legacy routes do (node-vault reads `result["secret/"]`).
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "sys/sys_internal.h"

static err_t list_mounts(struct core *c, struct request *req,
                         enum mount_kind kind, struct response *resp)
{
	json_t *data = json_object();
	size_t i;

	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	for (i = 0; i < c->mounts.len; i++) {
		struct mount *m = c->mounts.items[i];
		const char *shown = m->path;
		/* sys/ and token/ serve every namespace from the root. */
		bool shared =
		    m->ns[0] == 0 && (strcmp(m->type, "system") == 0 ||
		                      strcmp(m->type, "token") == 0);
		if (m->backend->kind != kind ||
		    (strcmp(m->ns, req->ns) != 0 && !shared))
			continue;
		if (kind == MOUNT_AUTH)
			shown += strlen("auth/");
		json_object_set_new(data, shown, mounts_describe(m));
	}
	resp->copy_data_to_top = true;
	response_set_data(resp, data);
	return ERR_OK;
}

/*
 * Turns the rest of a sys/mounts or sys/auth path into a mount path with
 * one trailing slash, and tells whether it named the tune endpoint.
 */
static err_t mount_path_of(const char *rest, bool auth, struct buf *out,
                           bool *tune)
{
	size_t n = strlen(rest);

	while (n > 0 && rest[n - 1] == '/')
		n--;
	*tune = n >= 5 && strncmp(rest + n - 5, "/tune", 5) == 0;
	if (*tune)
		n -= 5;
	while (n > 0 && rest[n - 1] == '/')
		n--;
	if (n == 0)
		return ERR_INVALID;
	if (auth && buf_append_str(out, "auth/") != ERR_OK)
		return ERR_NOMEM;
	if (buf_append(out, rest, n) != ERR_OK ||
	    buf_append_byte(out, '/') != ERR_OK)
		return ERR_NOMEM;
	return ERR_OK;
}

static err_t tune_read(struct mount *m, struct response *resp)
{
	response_set_data(
	    resp, json_pack("{s:I, s:I, s:b, s:s, s:O}", "default_lease_ttl",
	                    (json_int_t)m->default_lease_ttl, "max_lease_ttl",
	                    (json_int_t)m->max_lease_ttl, "force_no_cache", 0,
	                    "description", m->description, "options",
	                    m->options ? m->options : json_null()));
	resp->copy_data_to_top = true;
	return ERR_OK;
}

static err_t mount_read(struct mount *m, struct response *resp)
{
	resp->copy_data_to_top = true;
	response_set_data(resp, mounts_describe(m));
	return ERR_OK;
}

static err_t one_mount(struct core *c, struct request *req,
                       enum mount_kind kind, const char *rest,
                       struct response *resp)
{
	struct buf path = BUF_INIT;
	struct mount *m;
	bool tune = false;
	err_t rc;

	rc = mount_path_of(rest, kind == MOUNT_AUTH, &path, &tune);
	if (rc != ERR_OK) {
		rc = response_error(resp, rc, "missing mount path");
		goto out;
	}
	m = mounts_find(c, req->ns, buf_str(&path));

	if (tune || req->op == OP_READ) {
		if (m == NULL)
			rc = response_error(resp, ERR_INVALID,
			                    "no mount at \"%s\"",
			                    buf_str(&path));
		else if (req->op == OP_READ)
			rc = tune ? tune_read(m, resp) : mount_read(m, resp);
		else if (req->op == OP_UPDATE || req->op == OP_CREATE)
			rc = mounts_tune(c, m, req->data, resp);
		else
			rc = response_error(resp, ERR_UNSUPPORTED,
			                    "unsupported operation");
		goto out;
	}

	if (req->op == OP_UPDATE || req->op == OP_CREATE)
		rc = mounts_enable(c, req->ns, buf_str(&path), kind, req->data,
		                   resp);
	else if (req->op == OP_DELETE)
		rc = m == NULL
		         ? ERR_OK
		         : mounts_disable(c, req->ns, buf_str(&path), resp);
	else
		rc = response_error(resp, ERR_UNSUPPORTED,
		                    "unsupported operation");
out:
	buf_release(&path);
	return rc;
}

static err_t mounts_common(struct core *c, struct request *req,
                           enum mount_kind kind, size_t skip,
                           struct response *resp)
{
	const char *rest = req->rel + skip;

	if (*rest == 0 || strcmp(rest, "/") == 0) {
		if (req->op != OP_READ)
			return response_error(resp, ERR_UNSUPPORTED,
			                      "unsupported operation");
		return list_mounts(c, req, kind, resp);
	}
	return one_mount(c, req, kind, rest + 1, resp);
}

err_t sys_mounts(struct core *c, struct request *req, struct response *resp)
{
	return mounts_common(c, req, MOUNT_SECRET, strlen("mounts"), resp);
}

err_t sys_auth(struct core *c, struct request *req, struct response *resp)
{
	return mounts_common(c, req, MOUNT_AUTH, strlen("auth"), resp);
}

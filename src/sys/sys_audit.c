/*
 * sys_audit.c - sys/audit (list, enable, disable audit devices) and
 * sys/audit-hash (the HMAC a device would record for a value).
 *
 * Both answer with data copied to the top level, as Vault's legacy routes
 * do (node-vault's audits() reads result["file/"]). Both need sudo; the
 * ACL decides that, not this file.
 */
#include <string.h>

#include "audit/audit.h"
#include "base/params.h"
#include "sys/sys_internal.h"

static bool is_write(const struct request *req)
{
	return req->op == OP_UPDATE || req->op == OP_CREATE;
}

err_t sys_audit(struct core *c, struct request *req, struct response *resp)
{
	const char *rest = req->rel + strlen("audit");
	json_t *data;

	if (*rest == 0 || strcmp(rest, "/") == 0) {
		if (req->op != OP_READ)
			return response_error(resp, ERR_UNSUPPORTED,
			                      "unsupported operation");
		data = audit_broker_list(c->audit);
		if (data == NULL)
			return response_error(resp, ERR_NOMEM, NULL);
		resp->copy_data_to_top = true;
		response_set_data(resp, data);
		return ERR_OK;
	}
	rest++;
	if (is_write(req))
		return audit_broker_enable(c->audit, rest, req->data, resp);
	if (req->op == OP_DELETE)
		return audit_broker_disable(c->audit, rest, resp);
	return response_error(resp, ERR_UNSUPPORTED, "unsupported operation");
}

err_t sys_audit_hash(struct core *c, struct request *req, struct response *resp)
{
	const char *path = req->rel + strlen("audit-hash/");
	json_t *input = json_object_get(req->data, "input");
	struct buf hash = BUF_INIT;
	err_t rc;

	if (!is_write(req))
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	if (!json_is_string(input) || json_string_length(input) == 0)
		return response_error(resp, ERR_INVALID,
		                      "the \"input\" parameter is required");
	rc = audit_broker_hash(c->audit, path, json_string_value(input),
	                       json_string_length(input), &hash);
	if (rc == ERR_NOT_FOUND)
		rc = response_error(resp, ERR_INVALID,
		                    "unknown audit device \"%s\"", path);
	else if (rc != ERR_OK)
		rc = response_error(resp, rc, "%s", err_str(rc));
	else {
		resp->copy_data_to_top = true;
		response_set_data(resp,
		                  json_pack("{s:s}", "hash", buf_str(&hash)));
	}
	buf_release(&hash);
	return rc;
}

/*
 * sys_audit.c - sys/audit (list, enable, disable audit devices),
 * sys/audit-hash (the HMAC a device would record for a value) and
 * sys/config/auditing/request-headers (which request headers every
 * record carries).
 *
 * All answer with data copied to the top level, as Vault's legacy routes
 * do (node-vault's audits() reads result["file/"]). All need sudo; the
 * ACL decides that (the "config/" prefix), not this file.
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

/* The entry of one header, {"name": {"hmac": bool}}; new reference. */
static err_t header_entry(struct core *c, const char *name, json_t **out)
{
	json_t *all = audit_broker_headers(c->audit), *one = NULL;
	struct buf lower = BUF_INIT;
	err_t rc = ERR_NOMEM;
	size_t i;

	*out = NULL;
	if (all == NULL)
		goto out;
	for (i = 0; name[i] != 0; i++)
		if (buf_append_byte(&lower,
		                    (uint8_t)(name[i] >= 'A' && name[i] <= 'Z'
		                                  ? name[i] - 'A' + 'a'
		                                  : name[i])) != ERR_OK)
			goto out;
	one = json_object_get(all, buf_str(&lower));
	if (one == NULL) {
		rc = ERR_NOT_FOUND;
		goto out;
	}
	*out = json_pack("{s:O}", buf_str(&lower), one);
	rc = *out ? ERR_OK : ERR_NOMEM;
out:
	json_decref(all);
	buf_release(&lower);
	return rc;
}

err_t sys_audit_headers(struct core *c, struct request *req,
                        struct response *resp)
{
	const char *name = req->rel + strlen("config/auditing/request-headers");
	json_t *data = NULL;
	bool hmac = false;
	err_t rc;

	if (*name == '/')
		name++;
	if (*name == 0) {
		if (req->op != OP_READ && req->op != OP_LIST)
			return response_error(resp, ERR_UNSUPPORTED,
			                      "unsupported operation");
		data = json_pack("{s:o}", "headers",
		                 audit_broker_headers(c->audit));
		rc = data ? ERR_OK : response_error(resp, ERR_NOMEM, NULL);
	} else if (req->op == OP_READ) {
		rc = header_entry(c, name, &data);
		/* Vault answers 400, not 404, for a header not configured. */
		if (rc == ERR_NOT_FOUND)
			return response_error(resp, ERR_INVALID,
			                      "request header \"%s\" is not "
			                      "audited",
			                      name);
		if (rc != ERR_OK)
			return response_error(resp, rc, NULL);
	} else if (is_write(req)) {
		if (param_bool(req->data, "hmac", &hmac) == ERR_INVALID)
			return response_error(resp, ERR_INVALID,
			                      "hmac must be a boolean");
		return audit_broker_header_set(c->audit, name, hmac, resp);
	} else if (req->op == OP_DELETE) {
		return audit_broker_header_delete(c->audit, name, resp);
	} else {
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	}
	if (rc == ERR_OK) {
		resp->copy_data_to_top = true;
		response_set_data(resp, data);
	}
	return rc;
}

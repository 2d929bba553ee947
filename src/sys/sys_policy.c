/*
 * sys_policy.c - ACL policies over the API: the legacy sys/policy routes,
 * the current sys/policies/acl routes, and sys/capabilities,
 * sys/capabilities-self and sys/capabilities-accessor.
 *
 * The legacy routes answer reads with "rules" and copy data to the top
 * level of the envelope (Vault's handler does so for them, and node-vault
 * reads the copy); sys/policies/acl answers with "policy" and no copy.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/encoding.h"
#include "base/params.h"
#include "sys/sys_internal.h"

/* ---- policies ---- */

static err_t policy_list(struct core *c, struct request *req, bool legacy,
                         struct response *resp)
{
	json_t *names = NULL, *data;
	err_t rc;

	rc = policy_store_list(c->policies, req->ns, &names);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	data = legacy
	           ? json_pack("{s:O, s:O}", "keys", names, "policies", names)
	           : json_pack("{s:O}", "keys", names);
	json_decref(names);
	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	resp->copy_data_to_top = legacy;
	response_set_data(resp, data);
	return ERR_OK;
}

static err_t policy_read(struct core *c, struct request *req, const char *name,
                         bool legacy, struct response *resp)
{
	char *norm = NULL, *text = NULL;
	json_t *data = NULL;
	err_t rc;

	rc = policy_name_normalize(name, &norm);
	if (rc == ERR_OK)
		rc = policy_store_get_text(c->policies, req->ns, norm, &text);
	if (rc == ERR_INVALID || rc == ERR_NOT_FOUND) {
		rc = response_error(resp, ERR_NOT_FOUND, NULL);
		goto out;
	}
	if (rc != ERR_OK) {
		rc = response_error(resp, rc, "%s", err_str(rc));
		goto out;
	}
	data = json_pack("{s:s, s:s}", "name", norm,
	                 legacy ? "rules" : "policy", text);
	if (data == NULL) {
		rc = response_error(resp, ERR_NOMEM, NULL);
		goto out;
	}
	resp->copy_data_to_top = legacy;
	response_set_data(resp, data);
out:
	free(norm);
	free(text);
	return rc;
}

/*
 * The policy text of a write: "policy", or the older "rules" with a
 * warning. Text that decodes as base64 is taken decoded, as Vault does;
 * HCL and JSON never do (braces, quotes and spaces are not base64).
 */
static err_t policy_text_param(struct request *req, struct buf *text,
                               struct response *resp)
{
	const char *s = NULL;

	if (param_str(req->data, "policy", &s) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "'policy' must be a string");
	if (s == NULL || s[0] == 0) {
		if (param_str(req->data, "rules", &s) == ERR_INVALID)
			return response_error(resp, ERR_INVALID,
			                      "'rules' must be a string");
		if (s != NULL && s[0] != 0)
			response_warn(resp, "'rules' is deprecated, please "
			                    "use 'policy' instead");
	}
	if (s == NULL || s[0] == 0)
		return response_error(
		    resp, ERR_INVALID,
		    "'policy' parameter not supplied or empty");
	if (b64_decode(s, text) == ERR_OK && strlen(buf_str(text)) == text->len)
		return ERR_OK;
	buf_reset(text);
	if (buf_append_str(text, s) != ERR_OK)
		return response_error(resp, ERR_NOMEM, NULL);
	return ERR_OK;
}

static err_t policy_write(struct core *c, struct request *req, const char *name,
                          struct response *resp)
{
	struct buf text = BUF_INIT;
	char errmsg[256] = "";
	err_t rc;

	rc = policy_text_param(req, &text, resp);
	if (rc == ERR_OK)
		rc = policy_store_put(c->policies, req->ns, name,
		                      buf_str(&text), errmsg, sizeof(errmsg));
	if (rc != ERR_OK && resp->err == ERR_OK)
		rc = response_error(resp, rc, "%s",
		                    errmsg[0] ? errmsg : err_str(rc));
	buf_release(&text);
	return rc;
}

static err_t policy_delete(struct core *c, struct request *req,
                           const char *name, struct response *resp)
{
	char *norm = NULL;
	err_t rc;

	rc = policy_name_normalize(name, &norm);
	if (rc == ERR_INVALID)
		return response_error(resp, rc, "invalid policy name");
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	if (strcmp(norm, "root") == 0 || strcmp(norm, "default") == 0)
		rc = response_error(resp, ERR_INVALID,
		                    "cannot delete %s policy", norm);
	else if ((rc = policy_store_delete(c->policies, req->ns, norm)) !=
	         ERR_OK)
		rc = response_error(resp, rc, "%s", err_str(rc));
	free(norm);
	return rc;
}

/* Both route families: rest is what follows "policy" or "policies/acl". */
static err_t policy_route(struct core *c, struct request *req, const char *rest,
                          bool legacy, struct response *resp)
{
	if (rest[0] == '/')
		rest++;
	if (rest[0] == 0) {
		if (req->op == OP_READ || req->op == OP_LIST)
			return policy_list(c, req, legacy, resp);
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	}

	switch (req->op) {
	case OP_READ:
		return policy_read(c, req, rest, legacy, resp);
	case OP_CREATE:
	case OP_UPDATE:
		return policy_write(c, req, rest, resp);
	case OP_DELETE:
		return policy_delete(c, req, rest, resp);
	default:
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	}
}

err_t sys_policy(struct core *c, struct request *req, struct response *resp)
{
	return policy_route(c, req, req->rel + strlen("policy"), true, resp);
}

err_t sys_policies_acl(struct core *c, struct request *req,
                       struct response *resp)
{
	return policy_route(c, req, req->rel + strlen("policies/acl"), false,
	                    resp);
}

/* ---- capabilities ---- */

/* "paths" (a list or a comma-separated string), or the older "path". */
static err_t paths_param(struct request *req, json_t **paths,
                         struct response *resp)
{
	const char *one = NULL;
	err_t rc;

	rc = param_strlist(req->data, "paths", paths);
	if (rc == ERR_INVALID)
		return response_error(resp, rc, "'paths' must be a list");
	if (rc == ERR_OK && json_array_size(*paths) > 0)
		return ERR_OK;
	if (rc == ERR_OK)
		json_decref(*paths);
	*paths = NULL;
	if (param_str(req->data, "path", &one) == ERR_OK && one[0] != 0)
		*paths = json_pack("[s]", one);
	if (*paths == NULL)
		return response_error(resp, ERR_INVALID,
		                      "paths must be supplied");
	return ERR_OK;
}

/*
 * Answers the capabilities of token entry e on each path: one key per
 * path, and "capabilities" too when exactly one path was asked. Paths are
 * taken inside the request's namespace, below the token's own.
 */
static err_t capabilities_of(struct core *c, struct request *req,
                             const struct token_entry *e, json_t *paths,
                             struct response *resp)
{
	size_t nslen = strlen(e->ns), i;
	struct acl *acl = NULL;
	json_t *data = json_object(), *p, *caps = NULL;
	err_t rc;

	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	rc = policy_store_acl(c->policies, e->ns, e->policies, &acl);
	if (rc != ERR_OK) {
		json_decref(data);
		return response_error(resp, rc, "%s", err_str(rc));
	}
	json_array_foreach(paths, i, p)
	{
		const char *path = json_string_value(p);
		struct buf full = BUF_INIT;
		bool inside = strncmp(req->ns, e->ns, nslen) == 0;

		while (path[0] == '/')
			path++;
		buf_append_str(&full, inside ? req->ns + nslen : "");
		buf_append_str(&full, path);
		if (acl_is_root(acl) && inside)
			caps = json_pack("[s]", "root");
		else
			caps = acl_capability_names(
			    inside ? acl_capabilities(acl, buf_str(&full))
			           : CAP_DENY);
		buf_release(&full);
		if (caps == NULL ||
		    json_object_set_new(data, json_string_value(p), caps) != 0)
			rc = ERR_NOMEM;
	}
	if (rc == ERR_OK && json_array_size(paths) == 1)
		json_object_set(data, "capabilities", caps);
	acl_release(acl);
	if (rc != ERR_OK) {
		json_decref(data);
		return response_error(resp, rc, NULL);
	}
	resp->copy_data_to_top = true;
	response_set_data(resp, data);
	return ERR_OK;
}

static bool is_write(const struct request *req)
{
	return req->op == OP_UPDATE || req->op == OP_CREATE;
}

err_t sys_capabilities(struct core *c, struct request *req,
                       struct response *resp)
{
	struct token_entry *e = NULL;
	json_t *paths = NULL;
	const char *token = NULL;
	err_t rc;

	if (!is_write(req))
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	if (param_str(req->data, "token", &token) != ERR_OK || token[0] == 0)
		return response_error(resp, ERR_INVALID, "missing token");
	rc = paths_param(req, &paths, resp);
	if (rc != ERR_OK)
		return rc;
	rc = token_lookup(c->tokens, token, &e);
	/* Another tenant's token is as unknown here as a made-up one. */
	if (rc == ERR_OK && !token_in_ns(e, req->ns))
		rc = ERR_PERMISSION;
	if (rc == ERR_PERMISSION)
		rc = response_error(resp, ERR_INVALID, "invalid token");
	else if (rc != ERR_OK)
		rc = response_error(resp, rc, "%s", err_str(rc));
	else
		rc = capabilities_of(c, req, e, paths, resp);
	token_entry_free(e);
	json_decref(paths);
	return rc;
}

err_t sys_capabilities_self(struct core *c, struct request *req,
                            struct response *resp)
{
	struct token_entry *e = NULL;
	json_t *paths = NULL;
	err_t rc;

	if (!is_write(req))
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	rc = paths_param(req, &paths, resp);
	if (rc != ERR_OK)
		return rc;
	/* The core has looked the caller up already; else look again. */
	if (req->auth == NULL) {
		rc = token_lookup(c->tokens, req->token, &e);
		if (rc != ERR_OK)
			rc = response_error(resp, ERR_PERMISSION,
			                    "permission denied");
	}
	if (rc == ERR_OK)
		rc = capabilities_of(c, req, req->auth ? req->auth : e, paths,
		                     resp);
	token_entry_free(e);
	json_decref(paths);
	return rc;
}

err_t sys_capabilities_accessor(struct core *c, struct request *req,
                                struct response *resp)
{
	struct token_entry *e = NULL;
	json_t *paths = NULL;
	const char *accessor = NULL;
	err_t rc;

	if (!is_write(req))
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	if (param_str(req->data, "accessor", &accessor) != ERR_OK ||
	    accessor[0] == 0)
		return response_error(resp, ERR_INVALID, "missing accessor");
	rc = paths_param(req, &paths, resp);
	if (rc != ERR_OK)
		return rc;
	rc = token_lookup_accessor(c->tokens, accessor, &e);
	if (rc == ERR_OK && !token_in_ns(e, req->ns))
		rc = ERR_NOT_FOUND;
	if (rc == ERR_NOT_FOUND)
		rc = response_error(resp, ERR_INVALID, "invalid accessor");
	else if (rc != ERR_OK)
		rc = response_error(resp, rc, "%s", err_str(rc));
	else
		rc = capabilities_of(c, req, e, paths, resp);
	token_entry_free(e);
	json_decref(paths);
	return rc;
}

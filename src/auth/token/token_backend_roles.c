/*
 * token_backend_roles.c - auth/token/roles/<name>: the settings a create
 * through create/<name> takes. Kept in the mount's own storage view under
 * "roles/<name>". Writes update: a field left out keeps its value.
 */
#include <stdlib.h>
#include <string.h>

#include "auth/token/token_backend.h"
#include "base/buf.h"
#include "base/params.h"

#define ROLE_PREFIX "roles/"

static bool valid_name(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= 128 && strchr(name, '/') == NULL &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

err_t token_backend_role_get(struct mount *m, const char *name, json_t **out)
{
	struct buf key = BUF_INIT, val = BUF_INIT;
	bool found = false;
	err_t rc;

	*out = NULL;
	if (!valid_name(name))
		return ERR_NOT_FOUND;
	rc = buf_printf(&key, "%s%s", ROLE_PREFIX, name);
	if (rc == ERR_OK)
		rc = storage_get(m->view, buf_str(&key), &val, &found);
	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc == ERR_OK && (*out = json_loadb((const char *)val.data, val.len,
	                                       0, NULL)) == NULL)
		rc = ERR_STORAGE;
	buf_release(&key);
	buf_release(&val);
	return rc;
}

static json_t *role_defaults(const char *name)
{
	return json_pack(
	    "{s:s, s:[], s:[], s:[], s:[], s:b, s:b, s:s, s:I,"
	    " s:I, s:I, s:I, s:s, s:b, s:I, s:[], s:[]}",
	    "name", name, "allowed_policies", "disallowed_policies",
	    "allowed_policies_glob", "disallowed_policies_glob", "orphan", 0,
	    "renewable", 1, "path_suffix", "", "token_period", (json_int_t)0,
	    "token_explicit_max_ttl", (json_int_t)0, "token_ttl", (json_int_t)0,
	    "token_max_ttl", (json_int_t)0, "token_type", "default-service",
	    "token_no_default_policy", 0, "token_num_uses", (json_int_t)0,
	    "allowed_entity_aliases", "token_bound_cidrs");
}

/* A duration under either its token_ or its deprecated name. */
static err_t set_duration(json_t *d, json_t *role, const char *key,
                          const char *old, struct response *resp)
{
	int64_t v;
	err_t rc = param_duration(d, key, &v);

	if (rc == ERR_NOT_FOUND && old != NULL) {
		rc = param_duration(d, old, &v);
		key = rc == ERR_INVALID ? old : key;
	}
	if (rc == ERR_INVALID)
		return token_backend_bad_param(resp, key);
	if (rc == ERR_OK)
		json_object_set_new(role, key, json_integer(v));
	return ERR_OK;
}

static err_t set_list(json_t *d, json_t *role, const char *key,
                      struct response *resp)
{
	json_t *v = NULL;
	err_t rc = param_strlist(d, key, &v);

	if (rc == ERR_INVALID)
		return token_backend_bad_param(resp, key);
	if (rc == ERR_OK)
		json_object_set_new(role, key, v);
	return ERR_OK;
}

static err_t set_bool(json_t *d, json_t *role, const char *key,
                      struct response *resp)
{
	bool v;
	err_t rc = param_bool(d, key, &v);

	if (rc == ERR_INVALID)
		return token_backend_bad_param(resp, key);
	if (rc == ERR_OK)
		json_object_set_new(role, key, json_boolean(v));
	return ERR_OK;
}

static err_t set_fields(json_t *d, json_t *role, struct response *resp)
{
	const char *s = NULL;
	int64_t n;
	err_t rc = ERR_OK;

	if (set_list(d, role, "allowed_policies", resp) ||
	    set_list(d, role, "disallowed_policies", resp) ||
	    set_bool(d, role, "orphan", resp) ||
	    set_bool(d, role, "renewable", resp) ||
	    set_bool(d, role, "token_no_default_policy", resp) ||
	    set_duration(d, role, "token_period", "period", resp) ||
	    set_duration(d, role, "token_explicit_max_ttl", "explicit_max_ttl",
	                 resp) ||
	    set_duration(d, role, "token_ttl", NULL, resp) ||
	    set_duration(d, role, "token_max_ttl", NULL, resp))
		return ERR_INVALID;
	if ((rc = param_int(d, "token_num_uses", &n)) == ERR_OK && n >= 0)
		json_object_set_new(role, "token_num_uses", json_integer(n));
	else if (rc != ERR_NOT_FOUND)
		return token_backend_bad_param(resp, "token_num_uses");
	if ((rc = param_str(d, "path_suffix", &s)) == ERR_OK) {
		if (strstr(s, "..") != NULL || strlen(s) > 256)
			return response_error(resp, ERR_INVALID,
			                      "path_suffix must not contain "
			                      "\"..\"");
		json_object_set_new(role, "path_suffix", json_string(s));
	} else if (rc == ERR_INVALID) {
		return token_backend_bad_param(resp, "path_suffix");
	}
	if ((rc = param_str(d, "token_type", &s)) == ERR_OK) {
		if (strcmp(s, "service") && strcmp(s, "batch") &&
		    strcmp(s, "default-service") &&
		    strcmp(s, "default-batch") && strcmp(s, "default"))
			return response_error(resp, ERR_INVALID,
			                      "invalid 'token_type' value");
		json_object_set_new(role, "token_type", json_string(s));
	} else if (rc == ERR_INVALID) {
		return token_backend_bad_param(resp, "token_type");
	}
	return ERR_OK;
}

static err_t role_write(struct mount *m, struct request *req,
                        struct response *resp, const char *name)
{
	struct buf key = BUF_INIT;
	json_t *role = NULL;
	char *text = NULL;
	err_t rc = token_backend_role_get(m, name, &role);

	if (rc == ERR_NOT_FOUND)
		rc = (role = role_defaults(name)) ? ERR_OK : ERR_NOMEM;
	if (rc != ERR_OK) {
		rc = response_error(resp, rc, "%s", err_str(rc));
		goto out;
	}
	rc = set_fields(req->data, role, resp);
	if (rc != ERR_OK)
		goto out;
	/* The deprecated names read back the same values. */
	json_object_set(role, "period", json_object_get(role, "token_period"));
	json_object_set(role, "explicit_max_ttl",
	                json_object_get(role, "token_explicit_max_ttl"));
	text = json_dumps(role, JSON_COMPACT);
	rc = text ? buf_printf(&key, "%s%s", ROLE_PREFIX, name) : ERR_NOMEM;
	if (rc == ERR_OK)
		rc = storage_put(m->view, buf_str(&key), (const uint8_t *)text,
		                 strlen(text));
	if (rc != ERR_OK)
		rc = response_error(resp, rc, "%s", err_str(rc));
out:
	free(text);
	json_decref(role);
	buf_release(&key);
	return rc;
}

static err_t role_list(struct mount *m, struct response *resp)
{
	json_t *keys = NULL;
	err_t rc = storage_list(m->view, ROLE_PREFIX, &keys);

	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	return response_list(resp, keys);
}

err_t token_backend_roles(struct mount *m, struct request *req,
                          struct response *resp, const char *name)
{
	struct buf key = BUF_INIT;
	json_t *role = NULL;
	err_t rc;

	if (name == NULL || req->op == OP_LIST)
		return req->op == OP_LIST
		           ? role_list(m, resp)
		           : response_error(resp, ERR_UNSUPPORTED,
		                            "unsupported operation");
	if (!valid_name(name))
		return response_error(resp, ERR_INVALID, "invalid role name");
	switch (req->op) {
	case OP_READ:
		rc = token_backend_role_get(m, name, &role);
		if (rc == ERR_OK)
			response_set_data(resp, role);
		return rc == ERR_OK ? rc : response_error(resp, rc, NULL);
	case OP_CREATE:
	case OP_UPDATE:
		return role_write(m, req, resp, name);
	case OP_DELETE:
		rc = buf_printf(&key, "%s%s", ROLE_PREFIX, name);
		if (rc == ERR_OK)
			rc = storage_delete(m->view, buf_str(&key));
		buf_release(&key);
		return rc ? response_error(resp, rc, "%s", err_str(rc)) : rc;
	default:
		return response_error(resp, ERR_UNSUPPORTED,
		                      "unsupported operation");
	}
}

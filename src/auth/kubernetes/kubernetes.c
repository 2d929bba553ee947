/*
 * kubernetes.c - the kubernetes auth method: config, roles, routing.
 *
 * Routes (inside the mount):
 *   config         GET, POST
 *   role           LIST
 *   role/<name>    GET, POST, DELETE
 *   login          POST {"role", "jwt"} (no token needed; k8s_login.c)
 */
#include "auth/kubernetes/kubernetes.h"

#include <stdlib.h>
#include <string.h>

#include "auth/jwt/jwt.h"
#include "auth/jwt/jwt_backend.h"
#include "auth/tokenutil/tokenutil.h"
#include "base/params.h"

#define ROLE_NAME_MAX 128

static err_t bad(struct response *resp, const char *key)
{
	return response_error(resp, ERR_INVALID, "invalid value for \"%s\"",
	                      key);
}

static err_t config_strings(json_t *data, json_t *cfg, struct response *resp)
{
	static const char *const keys[] = {
	    "kubernetes_host", "kubernetes_ca_cert", "token_reviewer_jwt",
	    "issuer", NULL};
	const char *s;
	size_t i;
	err_t rc;

	for (i = 0; keys[i] != NULL; i++) {
		rc = param_str(data, keys[i], &s);
		if (rc == ERR_INVALID)
			return bad(resp, keys[i]);
		if (json_object_set_new(cfg, keys[i], json_string(rc ? "" : s)))
			return response_error(resp, ERR_NOMEM, NULL);
	}
	if (json_string_length(json_object_get(cfg, "kubernetes_host")) == 0)
		return response_error(resp, ERR_INVALID, "no host provided");
	return ERR_OK;
}

static err_t config_write(struct mount *m, struct request *req,
                          struct response *resp)
{
	json_t *cfg = json_object(), *keys = NULL, *v;
	bool iss_off = true, no_local = false;
	EVP_PKEY *key;
	size_t i;
	err_t rc;

	if (cfg == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	rc = config_strings(req->data, cfg, resp);
	if (rc == ERR_OK &&
	    param_strlist(req->data, "pem_keys", &keys) == ERR_INVALID)
		rc = bad(resp, "pem_keys");
	json_array_foreach(keys, i, v)
	{
		if (rc != ERR_OK)
			break;
		if (jwt_pem_public_key(json_string_value(v), &key) != ERR_OK)
			rc = response_error(resp, ERR_INVALID,
			                    "pem_keys entry %zu is not a PEM "
			                    "public key or certificate",
			                    i);
		else
			EVP_PKEY_free(key);
	}
	if (rc == ERR_OK && (param_bool(req->data, "disable_iss_validation",
	                                &iss_off) == ERR_INVALID ||
	                     param_bool(req->data, "disable_local_ca_jwt",
	                                &no_local) == ERR_INVALID))
		rc = response_error(resp, ERR_INVALID, "invalid boolean");
	if (rc == ERR_OK && keys == NULL && (keys = json_array()) == NULL)
		rc = response_error(resp, ERR_NOMEM, NULL);
	if (rc == ERR_OK && (json_object_set(cfg, "pem_keys", keys) ||
	                     json_object_set_new(cfg, "disable_iss_validation",
	                                         json_boolean(iss_off)) ||
	                     json_object_set_new(cfg, "disable_local_ca_jwt",
	                                         json_boolean(no_local))))
		rc = response_error(resp, ERR_NOMEM, NULL);
	if (rc == ERR_OK && (rc = jwt_store(m, "config", cfg)) != ERR_OK)
		response_error(resp, rc, "storing the configuration failed");
	json_decref(keys);
	json_decref(cfg);
	return rc;
}

static err_t config_read(struct mount *m, struct response *resp)
{
	json_t *cfg = NULL;
	err_t rc = jwt_load(m, "config", &cfg);

	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	if (cfg == NULL)
		return ERR_OK;
	/* The reviewer token is a credential: only whether it is set. */
	json_object_set_new(cfg, "token_reviewer_jwt_set",
	                    json_boolean(json_string_length(json_object_get(
	                                     cfg, "token_reviewer_jwt")) > 0));
	json_object_del(cfg, "token_reviewer_jwt");
	response_set_data(resp, cfg);
	return ERR_OK;
}

static bool only_star(json_t *list)
{
	return json_array_size(list) == 1 &&
	       strcmp(json_string_value(json_array_get(list, 0)), "*") == 0;
}

static err_t role_lists(json_t *data, json_t *role, struct response *resp)
{
	static const char *const keys[] = {"bound_service_account_names",
	                                   "bound_service_account_namespaces",
	                                   NULL};
	json_t *v;
	size_t i;
	err_t rc;

	for (i = 0; keys[i] != NULL; i++) {
		v = NULL;
		rc = param_strlist(data, keys[i], &v);
		if (rc == ERR_INVALID)
			return bad(resp, keys[i]);
		if (rc == ERR_OK && json_object_set_new(role, keys[i], v))
			return response_error(resp, ERR_NOMEM, NULL);
		if (json_array_size(json_object_get(role, keys[i])) == 0)
			return response_error(resp, ERR_INVALID,
			                      "\"%s\" can not be empty",
			                      keys[i]);
	}
	if (only_star(json_object_get(role, keys[0])) &&
	    only_star(json_object_get(role, keys[1])))
		return response_error(resp, ERR_INVALID,
		                      "service account name and namespace "
		                      "can not both be \"*\"");
	return ERR_OK;
}

static err_t role_fields(json_t *data, json_t *role, bool create,
                         struct response *resp)
{
	const char *aud = NULL, *src = NULL;
	err_t rc;

	rc = role_lists(data, role, resp);
	if (rc == ERR_OK && param_str(data, "audience", &aud) == ERR_INVALID)
		rc = bad(resp, "audience");
	if (rc == ERR_OK && aud != NULL)
		json_object_set_new(role, "audience", json_string(aud));
	if (rc == ERR_OK &&
	    param_str(data, "alias_name_source", &src) == ERR_INVALID)
		rc = bad(resp, "alias_name_source");
	if (rc == ERR_OK && src != NULL && *src &&
	    strcmp(src, "serviceaccount_uid") != 0 &&
	    strcmp(src, "serviceaccount_name") != 0)
		rc = bad(resp, "alias_name_source");
	if (rc == ERR_OK && src != NULL && *src)
		json_object_set_new(role, "alias_name_source",
		                    json_string(src));
	if (rc == ERR_OK && create) {
		if (!json_object_get(role, "audience"))
			json_object_set_new(role, "audience", json_string(""));
		if (!json_object_get(role, "alias_name_source"))
			json_object_set_new(role, "alias_name_source",
			                    json_string("serviceaccount_uid"));
	}
	if (rc == ERR_OK && create && tokenutil_defaults(role) != ERR_OK)
		rc = response_error(resp, ERR_NOMEM, NULL);
	if (rc == ERR_OK)
		rc = tokenutil_parse(data, role, resp);
	return rc;
}

static bool role_name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= ROLE_NAME_MAX && strchr(name, '/') == NULL &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static err_t role_handle(struct mount *m, struct request *req, const char *name,
                         struct response *resp)
{
	struct buf key = BUF_INIT;
	json_t *role = NULL, *out;
	err_t rc;

	if (!role_name_ok(name))
		return response_error(resp, ERR_INVALID, "invalid role name");
	if (buf_printf(&key, "role/%s", name) != ERR_OK)
		return response_error(resp, ERR_NOMEM, NULL);
	if (req->op == OP_DELETE) {
		rc = storage_delete(m->view, buf_str(&key));
		if (rc != ERR_OK)
			response_error(resp, rc, "deleting the role failed");
		goto out;
	}
	rc = jwt_load(m, buf_str(&key), &role);
	if (rc != ERR_OK) {
		response_error(resp, rc, "%s", err_str(rc));
		goto out;
	}
	if (req->op == OP_READ) {
		out = role ? json_deep_copy(role) : NULL;
		rc = role == NULL ? response_error(resp, ERR_NOT_FOUND, NULL)
		     : out == NULL || tokenutil_describe(role, out)
		         ? response_error(resp, ERR_NOMEM, NULL)
		         : ERR_OK;
		if (rc == ERR_OK)
			response_set_data(resp, out);
		else
			json_decref(out);
		goto out;
	}
	if (req->op != OP_UPDATE && req->op != OP_CREATE) {
		rc = response_error(resp, ERR_UNSUPPORTED, NULL);
		goto out;
	}
	if (role == NULL)
		role = json_object();
	rc = role ? role_fields(req->data, role,
	                        req->op == OP_CREATE || !json_object_size(role),
	                        resp)
	          : response_error(resp, ERR_NOMEM, NULL);
	if (rc == ERR_OK && (rc = jwt_store(m, buf_str(&key), role)) != ERR_OK)
		response_error(resp, rc, "storing the role failed");
out:
	json_decref(role);
	buf_release(&key);
	return rc;
}

static err_t role_list(struct mount *m, struct response *resp)
{
	json_t *keys = NULL;
	err_t rc = storage_list(m->view, "role/", &keys);

	if (rc != ERR_OK)
		return response_error(resp, rc, "listing roles failed");
	return response_list(resp, keys);
}

static err_t k8s_handle(struct mount *m, struct request *req,
                        struct response *resp)
{
	const char *rel = req->rel ? req->rel : "";

	if (req->data == NULL || !json_is_object(req->data))
		return response_error(resp, ERR_INVALID,
		                      "request body must be a JSON object");
	if (strcmp(rel, "login") == 0)
		return req->op == OP_UPDATE || req->op == OP_CREATE
		           ? k8s_login(m, req, resp)
		           : response_error(resp, ERR_UNSUPPORTED, NULL);
	if (strcmp(rel, "config") == 0) {
		if (req->op == OP_READ)
			return config_read(m, resp);
		if (req->op == OP_UPDATE || req->op == OP_CREATE)
			return config_write(m, req, resp);
		return response_error(resp, ERR_UNSUPPORTED, NULL);
	}
	if ((strcmp(rel, "role") == 0 || strcmp(rel, "role/") == 0) &&
	    req->op == OP_LIST)
		return role_list(m, resp);
	if (strncmp(rel, "role/", 5) == 0)
		return role_handle(m, req, rel + 5, resp);
	return response_error(resp, ERR_UNSUPPORTED,
	                      "unsupported path in the kubernetes auth "
	                      "method");
}

static bool k8s_unauthenticated(const char *rel, enum op op)
{
	(void)op;
	return strcmp(rel, "login") == 0;
}

static err_t k8s_exists(struct mount *m, struct request *req, bool *found)
{
	const char *rel = req->rel ? req->rel : "";
	json_t *obj = NULL;
	err_t rc = ERR_OK;

	*found = true;
	if (strncmp(rel, "role/", 5) == 0 && role_name_ok(rel + 5)) {
		rc = jwt_load(m, rel, &obj);
		*found = obj != NULL;
		json_decref(obj);
	}
	return rc;
}

const struct mount_backend kubernetes_backend = {
    .type = "kubernetes",
    .kind = MOUNT_AUTH,
    .handle = k8s_handle,
    .exists = k8s_exists,
    .unauthenticated = k8s_unauthenticated,
};

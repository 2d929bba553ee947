/*
 * cert.c - the cert auth method: routing, certs/<name> and config.
 *
 * Routes (inside the mount):
 *   certs             LIST
 *   certs/<name>      GET, POST, DELETE
 *   config            GET, POST {"disable_binding"}
 *   login             POST {"name"} optional (no token needed)
 */
#include "auth/cert/cert_internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "auth/tokenutil/tokenutil.h"
#include "base/log.h"
#include "base/params.h"

#define NAME_MAX_LEN 128

static const char *const constraint_lists[] = {
    "allowed_common_names",         "allowed_dns_sans",
    "allowed_email_sans",           "allowed_uri_sans",
    "allowed_organizational_units", NULL,
};

err_t cert_load(struct mount *m, const char *key, json_t **out)
{
	struct buf raw = BUF_INIT;
	bool found = false;
	err_t rc;

	*out = NULL;
	rc = storage_get(m->view, key, &raw, &found);
	if (rc == ERR_OK && found) {
		*out = json_loadb((const char *)raw.data, raw.len, 0, NULL);
		if (!json_is_object(*out)) {
			log_error("auth", "a stored cert object is not JSON");
			json_decref(*out);
			*out = NULL;
			rc = ERR_INTERNAL;
		}
	}
	buf_release(&raw);
	return rc;
}

static err_t cert_store(struct mount *m, const char *key, json_t *obj,
                        struct response *resp)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	err_t rc;

	if (text == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	rc = storage_put(m->view, key, (const uint8_t *)text, strlen(text));
	free(text);
	if (rc != ERR_OK)
		response_error(resp, rc, "storing failed: %s", err_str(rc));
	return rc;
}

/* Features we do not check must not be configured as if they were. */
static err_t refuse_unsupported(json_t *data, struct response *resp)
{
	json_t *ext = NULL;
	bool ocsp = false;

	if (param_strlist(data, "required_extensions", &ext) == ERR_OK &&
	    json_array_size(ext) > 0) {
		json_decref(ext);
		return response_error(resp, ERR_INVALID,
		                      "required_extensions is not supported "
		                      "by this server");
	}
	json_decref(ext);
	if (param_bool(data, "ocsp_enabled", &ocsp) == ERR_OK && ocsp)
		return response_error(resp, ERR_INVALID,
		                      "OCSP checking is not supported by this "
		                      "server");
	return ERR_OK;
}

static err_t read_certificate(json_t *data, json_t *role, struct response *resp)
{
	const char *pem = NULL;
	STACK_OF(X509) * certs;
	err_t rc = param_str(data, "certificate", &pem);

	if (rc == ERR_NOT_FOUND && json_object_get(role, "certificate"))
		return ERR_OK;
	if (rc != ERR_OK || *pem == 0)
		return response_error(resp, ERR_INVALID,
		                      "missing or invalid \"certificate\"");
	certs = cert_pem_stack(pem);
	if (certs == NULL)
		return response_error(resp, ERR_INVALID,
		                      "\"certificate\" holds no PEM "
		                      "certificate");
	sk_X509_pop_free(certs, X509_free);
	if (json_object_set_new(role, "certificate", json_string(pem)))
		return response_error(resp, ERR_NOMEM, NULL);
	return ERR_OK;
}

static err_t read_role(json_t *data, json_t *role, bool create,
                       struct response *resp)
{
	const char *dn;
	json_t *v;
	size_t i;
	err_t rc;

	rc = refuse_unsupported(data, resp);
	if (rc == ERR_OK)
		rc = read_certificate(data, role, resp);
	for (i = 0; rc == ERR_OK && constraint_lists[i] != NULL; i++) {
		v = NULL;
		rc = param_strlist(data, constraint_lists[i], &v);
		if (rc == ERR_INVALID)
			return response_error(resp, ERR_INVALID,
			                      "invalid value for \"%s\"",
			                      constraint_lists[i]);
		if (rc == ERR_NOT_FOUND && !create) {
			rc = ERR_OK;
			continue;
		}
		if (rc == ERR_NOT_FOUND)
			v = json_array();
		rc = v && !json_object_set_new(role, constraint_lists[i], v)
		         ? ERR_OK
		         : response_error(resp, ERR_NOMEM, NULL);
	}
	if (rc == ERR_OK && param_str(data, "display_name", &dn) == ERR_OK)
		json_object_set_new(role, "display_name", json_string(dn));
	if (rc == ERR_OK && create && tokenutil_defaults(role) != ERR_OK)
		rc = response_error(resp, ERR_NOMEM, NULL);
	if (rc == ERR_OK)
		rc = tokenutil_parse(data, role, resp);
	return rc;
}

static err_t role_read(struct mount *m, const char *key, const char *name,
                       struct response *resp)
{
	json_t *role = NULL, *out;
	err_t rc = cert_load(m, key, &role);

	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	if (role == NULL)
		return response_error(resp, ERR_NOT_FOUND, NULL);
	out = json_deep_copy(role);
	if (out != NULL && json_object_get(out, "display_name") == NULL)
		json_object_set_new(out, "display_name", json_string(name));
	if (out == NULL || tokenutil_describe(role, out) != ERR_OK) {
		json_decref(out);
		json_decref(role);
		return response_error(resp, ERR_NOMEM, NULL);
	}
	json_decref(role);
	response_set_data(resp, out);
	return ERR_OK;
}

static err_t role_write(struct mount *m, struct request *req, const char *key,
                        struct response *resp)
{
	json_t *role = NULL;
	bool create;
	err_t rc = cert_load(m, key, &role);

	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	create = role == NULL;
	if (create && (role = json_object()) == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	rc = read_role(req->data, role, create, resp);
	if (rc == ERR_OK)
		rc = cert_store(m, key, role, resp);
	json_decref(role);
	return rc;
}

static bool name_ok(const char *name)
{
	size_t n = strlen(name);

	return n > 0 && n <= NAME_MAX_LEN && strchr(name, '/') == NULL &&
	       strcmp(name, ".") != 0 && strcmp(name, "..") != 0;
}

static err_t certs_handle(struct mount *m, struct request *req,
                          const char *name, struct response *resp)
{
	struct buf key = BUF_INIT;
	const char *p;
	err_t rc;

	if (!name_ok(name))
		return response_error(resp, ERR_INVALID, "invalid name");
	/* Names are lower-cased, as Vault does. */
	rc = buf_append_str(&key, "certs/");
	for (p = name; rc == ERR_OK && *p; p++)
		rc = buf_append_byte(&key, (uint8_t)tolower((unsigned char)*p));
	if (rc != ERR_OK)
		return response_error(resp, ERR_NOMEM, NULL);
	if (req->op == OP_READ)
		rc = role_read(m, buf_str(&key), buf_str(&key) + 6, resp);
	else if (req->op == OP_UPDATE || req->op == OP_CREATE)
		rc = role_write(m, req, buf_str(&key), resp);
	else if (req->op == OP_DELETE)
		rc = storage_delete(m->view, buf_str(&key))
		         ? response_error(resp, ERR_STORAGE, "delete failed")
		         : ERR_OK;
	else
		rc = response_error(resp, ERR_UNSUPPORTED, NULL);
	buf_release(&key);
	return rc;
}

static err_t certs_list(struct mount *m, struct response *resp)
{
	json_t *keys = NULL;
	err_t rc = storage_list(m->view, "certs/", &keys);

	if (rc != ERR_OK)
		return response_error(resp, rc, "listing failed");
	return response_list(resp, keys);
}

static err_t config_handle(struct mount *m, struct request *req,
                           struct response *resp)
{
	json_t *cfg = NULL;
	bool b = false;
	err_t rc;

	if (req->op == OP_READ) {
		rc = cert_load(m, "config", &cfg);
		if (rc != ERR_OK)
			return response_error(resp, rc, "%s", err_str(rc));
		response_set_data(
		    resp, cfg ? cfg : json_pack("{sb}", "disable_binding", 0));
		return ERR_OK;
	}
	if (req->op != OP_UPDATE && req->op != OP_CREATE)
		return response_error(resp, ERR_UNSUPPORTED, NULL);
	if (param_bool(req->data, "disable_binding", &b) == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "invalid value for \"disable_binding\"");
	cfg = json_pack("{sb}", "disable_binding", b);
	rc = cfg ? cert_store(m, "config", cfg, resp)
	         : response_error(resp, ERR_NOMEM, NULL);
	json_decref(cfg);
	return rc;
}

static err_t cert_handle(struct mount *m, struct request *req,
                         struct response *resp)
{
	const char *rel = req->rel ? req->rel : "";

	if (req->data == NULL || !json_is_object(req->data))
		return response_error(resp, ERR_INVALID,
		                      "request body must be a JSON object");
	if (strcmp(rel, "login") == 0) {
		if (req->op != OP_UPDATE && req->op != OP_CREATE)
			return response_error(resp, ERR_UNSUPPORTED, NULL);
		return cert_login(m, req, resp);
	}
	if (strcmp(rel, "config") == 0)
		return config_handle(m, req, resp);
	if ((strcmp(rel, "certs") == 0 || strcmp(rel, "certs/") == 0) &&
	    req->op == OP_LIST)
		return certs_list(m, resp);
	if (strncmp(rel, "certs/", 6) == 0)
		return certs_handle(m, req, rel + 6, resp);
	return response_error(resp, ERR_UNSUPPORTED,
	                      "unsupported path in the cert auth method");
}

static bool cert_unauthenticated(const char *rel, enum op op)
{
	(void)op;
	return strcmp(rel, "login") == 0;
}

static err_t cert_exists(struct mount *m, struct request *req, bool *found)
{
	const char *rel = req->rel ? req->rel : "";
	json_t *obj = NULL;
	err_t rc = ERR_OK;

	*found = true;
	if (strncmp(rel, "certs/", 6) == 0 && name_ok(rel + 6)) {
		rc = cert_load(m, rel, &obj);
		*found = obj != NULL;
		json_decref(obj);
	}
	return rc;
}

const struct mount_backend cert_backend = {
    .type = "cert",
    .kind = MOUNT_AUTH,
    .handle = cert_handle,
    .exists = cert_exists,
    .unauthenticated = cert_unauthenticated,
};

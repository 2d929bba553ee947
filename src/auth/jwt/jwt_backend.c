/*
 * jwt_backend.c - the jwt/oidc auth method: routing, mount state and the
 * config endpoint.
 *
 * Routes (inside the mount):
 *   config            GET, POST
 *   role              LIST
 *   role/<name>       GET, POST, DELETE
 *   login             POST (no token needed)
 *   oidc/auth_url, oidc/callback   400: the browser flow is not built
 */
#include "auth/jwt/jwt_backend.h"

#include <stdlib.h>
#include <string.h>

#include "auth/jwt/jwt_fetch.h"
#include "base/log.h"
#include "base/params.h"

err_t jwt_load(struct mount *m, const char *key, json_t **out)
{
	struct buf raw = BUF_INIT;
	bool found = false;
	err_t rc;

	*out = NULL;
	rc = storage_get(m->view, key, &raw, &found);
	if (rc == ERR_OK && found) {
		*out = json_loadb((const char *)raw.data, raw.len, 0, NULL);
		if (!json_is_object(*out)) {
			log_error("auth", "a stored jwt object is not JSON");
			json_decref(*out);
			*out = NULL;
			rc = ERR_INTERNAL;
		}
	}
	buf_release(&raw);
	return rc;
}

err_t jwt_store(struct mount *m, const char *key, json_t *obj)
{
	char *text = json_dumps(obj, JSON_COMPACT);
	err_t rc;

	if (text == NULL)
		return ERR_NOMEM;
	rc = storage_put(m->view, key, (const uint8_t *)text, strlen(text));
	free(text);
	return rc;
}

static const char *const config_strings[] = {
    "jwks_url",
    "jwks_ca_pem",
    "oidc_discovery_url",
    "oidc_discovery_ca_pem",
    "oidc_client_id",
    "oidc_client_secret",
    "oidc_response_mode",
    "bound_issuer",
    "default_role",
    "namespace_in_state",
    NULL,
};

/* Copies the string fields of data into cfg; ERR_INVALID names one. */
static err_t config_read_strings(json_t *data, json_t *cfg,
                                 struct response *resp)
{
	const char *s;
	size_t i;
	err_t rc;

	for (i = 0; config_strings[i] != NULL; i++) {
		rc = param_str(data, config_strings[i], &s);
		if (rc == ERR_INVALID)
			return response_error(resp, ERR_INVALID,
			                      "invalid value for \"%s\"",
			                      config_strings[i]);
		if (rc == ERR_OK &&
		    json_object_set_new(cfg, config_strings[i], json_string(s)))
			return response_error(resp, ERR_NOMEM, NULL);
	}
	return ERR_OK;
}

static err_t config_read_lists(json_t *data, json_t *cfg, struct response *resp)
{
	static const char *const lists[] = {"jwt_validation_pubkeys",
	                                    "jwt_supported_algs",
	                                    "oidc_response_types", NULL};
	json_t *v = NULL, *item;
	size_t i, k;
	err_t rc;

	for (i = 0; lists[i] != NULL; i++) {
		rc = param_strlist(data, lists[i], &v);
		if (rc == ERR_INVALID)
			return response_error(resp, ERR_INVALID,
			                      "invalid value for \"%s\"",
			                      lists[i]);
		if (rc == ERR_NOT_FOUND)
			v = json_array();
		if (v == NULL || json_object_set_new(cfg, lists[i], v))
			return response_error(resp, ERR_NOMEM, NULL);
	}
	json_array_foreach(json_object_get(cfg, "jwt_supported_algs"), k, item)
	{
		if (jwt_alg_from_name(json_string_value(item)) ==
		    JWT_ALG_UNKNOWN)
			return response_error(resp, ERR_INVALID,
			                      "unsupported signing algorithm: "
			                      "%.32s",
			                      json_string_value(item));
	}
	return ERR_OK;
}

static bool cfg_has(json_t *cfg, const char *key)
{
	json_t *v = json_object_get(cfg, key);

	return json_is_array(v) ? json_array_size(v) > 0
	                        : json_string_length(v) > 0;
}

/* Exactly one key source; each PEM key must parse. */
static err_t config_check_source(json_t *cfg, struct response *resp)
{
	int sources = cfg_has(cfg, "jwt_validation_pubkeys") +
	              cfg_has(cfg, "jwks_url") +
	              cfg_has(cfg, "oidc_discovery_url");
	json_t *v;
	EVP_PKEY *key;
	size_t i;

	if (sources != 1)
		return response_error(
		    resp, ERR_INVALID,
		    "exactly one of 'jwt_validation_pubkeys', 'jwks_url' "
		    "or 'oidc_discovery_url' must be set");
	json_array_foreach(json_object_get(cfg, "jwt_validation_pubkeys"), i, v)
	{
		if (jwt_pem_public_key(json_string_value(v), &key) != ERR_OK)
			return response_error(resp, ERR_INVALID,
			                      "error parsing public key %zu of "
			                      "jwt_validation_pubkeys",
			                      i);
		EVP_PKEY_free(key);
	}
	return ERR_OK;
}

static err_t config_write(struct mount *m, struct request *req,
                          struct response *resp)
{
	struct jwt_state *st = m->state;
	json_t *cfg = json_object(), *pc;
	char err[300] = "";
	err_t rc;

	if (cfg == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	rc = config_read_strings(req->data, cfg, resp);
	if (rc == ERR_OK)
		rc = config_read_lists(req->data, cfg, resp);
	if (rc == ERR_OK)
		rc = config_check_source(cfg, resp);
	pc = json_object_get(req->data, "provider_config");
	if (rc == ERR_OK && json_is_object(pc))
		json_object_set(cfg, "provider_config", pc);
	if (rc != ERR_OK)
		goto out;

	/* A URL that cannot be fetched now is refused now. */
	if (!cfg_has(cfg, "jwt_validation_pubkeys") &&
	    jwt_keys_prime(st, cfg, err, sizeof(err)) != ERR_OK) {
		rc = response_error(resp, ERR_INVALID,
		                    "error checking the key source: %s", err);
		goto out;
	}
	if (cfg_has(cfg, "jwt_validation_pubkeys")) {
		pthread_mutex_lock(&st->mu);
		jwt_keys_reset(st);
		pthread_mutex_unlock(&st->mu);
	}
	rc = jwt_store(m, "config", cfg);
	if (rc != ERR_OK)
		response_error(resp, rc, "storing the configuration failed");
out:
	json_decref(cfg);
	return rc;
}

static err_t config_read(struct mount *m, struct response *resp)
{
	json_t *cfg = NULL, *out;
	err_t rc;

	rc = jwt_load(m, "config", &cfg);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	if (cfg == NULL)
		return ERR_OK;
	/* The client secret is write-only. */
	json_object_del(cfg, "oidc_client_secret");
	out = json_deep_copy(cfg);
	if (out != NULL && json_object_get(out, "provider_config") == NULL)
		json_object_set_new(out, "provider_config", json_object());
	json_decref(cfg);
	if (out == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	response_set_data(resp, out);
	return ERR_OK;
}

static err_t role_list(struct mount *m, struct response *resp)
{
	json_t *keys = NULL;
	err_t rc = storage_list(m->view, "role/", &keys);

	if (rc != ERR_OK)
		return response_error(resp, rc, "listing roles failed");
	return response_list(resp, keys);
}

static err_t jwt_handle(struct mount *m, struct request *req,
                        struct response *resp)
{
	const char *rel = req->rel ? req->rel : "";

	if (req->data == NULL || !json_is_object(req->data))
		return response_error(resp, ERR_INVALID,
		                      "request body must be a JSON object");
	if (strcmp(rel, "login") == 0) {
		if (req->op != OP_UPDATE && req->op != OP_CREATE)
			return response_error(resp, ERR_UNSUPPORTED, NULL);
		return jwt_login(m, req, resp);
	}
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
		return jwt_role_handle(m, req, resp, rel + 5);
	if (strncmp(rel, "oidc/", 5) == 0)
		return response_error(resp, ERR_INVALID,
		                      "the OIDC browser flow is not supported "
		                      "by this server; use role_type \"jwt\" "
		                      "and the login endpoint");
	return response_error(resp, ERR_UNSUPPORTED,
	                      "unsupported path in the jwt auth method");
}

static bool jwt_unauthenticated(const char *rel, enum op op)
{
	(void)op;
	return strcmp(rel, "login") == 0 || strncmp(rel, "oidc/", 5) == 0;
}

static err_t jwt_setup(struct mount *m, struct response *resp)
{
	struct jwt_state *st = calloc(1, sizeof(*st));

	if (st == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	pthread_mutex_init(&st->mu, NULL);
	m->state = st;
	return ERR_OK;
}

static void jwt_teardown(struct mount *m)
{
	struct jwt_state *st = m->state;

	if (st == NULL)
		return;
	jwt_keys_reset(st);
	pthread_mutex_destroy(&st->mu);
	free(st);
	m->state = NULL;
}

static err_t jwt_exists(struct mount *m, struct request *req, bool *found)
{
	json_t *obj = NULL;
	const char *rel = req->rel ? req->rel : "";
	err_t rc = ERR_OK;

	*found = false;
	if (strncmp(rel, "role/", 5) == 0 && jwt_role_name_ok(rel + 5))
		rc = jwt_load(m, rel, &obj);
	else if (strcmp(rel, "config") == 0)
		rc = jwt_load(m, "config", &obj);
	else
		*found = true; /* login and friends are updates */
	if (obj != NULL)
		*found = true;
	json_decref(obj);
	return rc;
}

const struct mount_backend jwt_backend = {
    .type = "jwt",
    .kind = MOUNT_AUTH,
    .setup = jwt_setup,
    .teardown = jwt_teardown,
    .handle = jwt_handle,
    .exists = jwt_exists,
    .unauthenticated = jwt_unauthenticated,
};

/* Vault's second name for the same method. */
const struct mount_backend oidc_backend = {
    .type = "oidc",
    .kind = MOUNT_AUTH,
    .setup = jwt_setup,
    .teardown = jwt_teardown,
    .handle = jwt_handle,
    .exists = jwt_exists,
    .unauthenticated = jwt_unauthenticated,
};

/*
 * approle.c - the AppRole method: the mount's key, routing, and login.
 *
 * A login names a role by its role ID and proves itself with a secret ID
 * (when the role binds one). Whatever is wrong with either, the answer is
 * the same "invalid role or secret ID", as Vault gives it, so a caller
 * cannot probe which half it guessed right.
 */
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <stdlib.h>
#include <string.h>

#include "auth/approle/approle_internal.h"
#include "auth/tokenutil/tokenutil.h"
#include "base/encoding.h"
#include "base/log.h"
#include "base/params.h"
#include "base/secret.h"
#include "core/cidr.h"
#include "core/login.h"

#define KEY_PATH "hmac-key"
#define INVALID  "invalid role or secret ID"

int64_t approle_now(void)
{
	return lease_now();
}

err_t approle_hash(struct mount *m, const char *value,
                   char out[APPROLE_HASH_LEN + 1])
{
	struct approle_state *st = m->state;
	uint8_t mac[EVP_MAX_MD_SIZE];
	unsigned int len = 0;
	char *hex;

	if (HMAC(EVP_sha256(), st->key, APPROLE_KEY_LEN,
	         (const unsigned char *)value, strlen(value), mac,
	         &len) == NULL ||
	    len * 2 != APPROLE_HASH_LEN)
		return ERR_CRYPTO;
	hex = hex_encode(mac, len);
	secret_wipe(mac, sizeof(mac));
	if (hex == NULL)
		return ERR_NOMEM;
	memcpy(out, hex, APPROLE_HASH_LEN + 1);
	free(hex);
	return ERR_OK;
}

pthread_mutex_t *approle_use_lock(struct mount *m, const char *hash)
{
	struct approle_state *st = m->state;

	return &st->uses[(unsigned)hex_digit(hash[0]) % APPROLE_USE_STRIPES];
}

err_t approle_load(struct mount *m, const char *key, json_t **out)
{
	struct buf b = BUF_INIT;
	bool found = false;
	err_t rc = storage_get(m->view, key, &b, &found);

	if (rc == ERR_OK && !found)
		rc = ERR_NOT_FOUND;
	if (rc == ERR_OK &&
	    (*out = json_loadb((const char *)b.data, b.len, 0, NULL)) == NULL)
		rc = ERR_STORAGE;
	buf_release(&b);
	return rc;
}

err_t approle_txn_put_json(struct lease_txn *t, const char *key, json_t *o)
{
	char *text = json_dumps(o, JSON_COMPACT);
	err_t rc = text ? lease_txn_put(t, key, text) : ERR_NOMEM;

	free(text);
	return rc;
}

static err_t load_or_make_key(struct mount *m, struct approle_state *st)
{
	struct buf b = BUF_INIT;
	bool found = false;
	err_t rc = storage_get(m->view, KEY_PATH, &b, &found);

	if (rc == ERR_OK && found && b.len == APPROLE_KEY_LEN)
		memcpy(st->key, b.data, APPROLE_KEY_LEN);
	else if (rc == ERR_OK && found)
		rc = ERR_STORAGE;
	else if (rc == ERR_OK) {
		rc = rand_bytes(st->key, APPROLE_KEY_LEN);
		if (rc == ERR_OK)
			rc = storage_put(m->view, KEY_PATH, st->key,
			                 APPROLE_KEY_LEN);
	}
	buf_release(&b);
	return rc;
}

static void approle_teardown(struct mount *m)
{
	struct approle_state *st = m->state;
	size_t i;

	if (st == NULL)
		return;
	pthread_mutex_destroy(&st->roles);
	for (i = 0; i < APPROLE_USE_STRIPES; i++)
		pthread_mutex_destroy(&st->uses[i]);
	secret_free_n(st, sizeof(*st));
	m->state = NULL;
}

static err_t approle_setup(struct mount *m, struct response *resp)
{
	struct approle_state *st = calloc(1, sizeof(*st));
	size_t i;
	err_t rc;

	if (st == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	pthread_mutex_init(&st->roles, NULL);
	for (i = 0; i < APPROLE_USE_STRIPES; i++)
		pthread_mutex_init(&st->uses[i], NULL);
	m->state = st;
	rc = load_or_make_key(m, st);
	if (rc != ERR_OK) {
		approle_teardown(m);
		return response_error(resp, rc, "approle key: %s", err_str(rc));
	}
	return ERR_OK;
}

/* {"role_name": <name>} and the secret ID's metadata. New reference. */
static json_t *login_metadata(json_t *role, json_t *secret)
{
	json_t *meta = json_object(), *sm = json_object_get(secret, "metadata");

	if (meta == NULL)
		return NULL;
	if (json_is_object(sm))
		json_object_update(meta, sm);
	json_object_set(meta, "role_name", json_object_get(role, "name"));
	return meta;
}

/* Checks the role's secret ID CIDRs, then spends the secret ID. */
static err_t check_secret(struct mount *m, struct request *req, json_t *role,
                          json_t **secret, struct response *resp)
{
	const char *value = NULL;
	err_t rc;

	if (!cidr_list_allows(json_object_get(role, "secret_id_bound_cidrs"),
	                      req->remote_addr))
		return response_error(resp, ERR_INVALID,
		                      "source address \"%s\" unauthorized "
		                      "through CIDR restrictions on the role",
		                      req->remote_addr ? req->remote_addr : "");
	if (!json_is_true(json_object_get(role, "bind_secret_id")))
		return ERR_OK;
	if (param_str(req->data, "secret_id", &value) != ERR_OK || *value == 0)
		return response_error(resp, ERR_INVALID, "missing secret_id");
	rc = approle_secret_use(m, role, value, req->remote_addr, secret, resp);
	if (rc == ERR_PERMISSION)
		return response_error(resp, ERR_INVALID, INVALID);
	if (rc != ERR_OK && resp->err == ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	return rc;
}

/* The token's CIDRs: the secret ID's when it has some, else the role's. */
static json_t *token_cidrs(json_t *role, json_t *secret)
{
	json_t *s = json_object_get(secret, "token_bound_cidrs");

	return json_array_size(s) ? s
	                          : json_object_get(role, "token_bound_cidrs");
}

static err_t issue(struct mount *m, struct request *req, json_t *role,
                   json_t *secret, struct response *resp)
{
	struct login_result lr;
	json_t *meta = login_metadata(role, secret);
	json_t *alias_meta =
	    json_pack("{s:O}", "role_name", json_object_get(role, "name"));
	err_t rc;

	memset(&lr, 0, sizeof(lr));
	tokenutil_login(role, &lr);
	lr.bound_cidrs = token_cidrs(role, secret);
	lr.display_name = "approle";
	lr.metadata = meta;
	lr.alias_name = json_string_value(json_object_get(role, "role_id"));
	lr.alias_metadata = alias_meta;
	if (meta == NULL || alias_meta == NULL)
		rc = response_error(resp, ERR_NOMEM, NULL);
	else
		rc = core_login(m, req, &lr, resp);
	json_decref(meta);
	json_decref(alias_meta);
	return rc;
}

static err_t login(struct mount *m, struct request *req, struct response *resp)
{
	const char *role_id = NULL;
	json_t *role = NULL, *secret = NULL;
	err_t rc;

	if (param_str(req->data, "role_id", &role_id) != ERR_OK ||
	    *role_id == 0)
		return response_error(resp, ERR_INVALID, "missing role_id");
	rc = approle_role_by_id(m, role_id, &role);
	if (rc == ERR_NOT_FOUND)
		return response_error(resp, ERR_INVALID, INVALID);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));

	rc = check_secret(m, req, role, &secret, resp);
	/* The role's token CIDRs bind the login too (403, as Vault). */
	if (rc == ERR_OK &&
	    !cidr_list_allows(token_cidrs(role, secret), req->remote_addr))
		rc = response_error(resp, ERR_PERMISSION, "permission denied");
	if (rc == ERR_OK)
		rc = issue(m, req, role, secret, resp);
	json_decref(role);
	json_decref(secret);
	return rc;
}

/* role/<name>[/<sub>]: rel is what follows "role/". */
static err_t role_path(struct mount *m, struct request *req, const char *rel,
                       struct response *resp)
{
	const char *slash = strchr(rel, '/');
	struct buf name = BUF_INIT;
	err_t rc;

	rc =
	    buf_append(&name, rel, slash ? (size_t)(slash - rel) : strlen(rel));
	if (rc == ERR_OK)
		rc = approle_role_route(m, req, buf_str(&name),
		                        slash ? slash + 1 : "", resp);
	else
		rc = response_error(resp, rc, NULL);
	buf_release(&name);
	return rc;
}

static err_t approle_handle(struct mount *m, struct request *req,
                            struct response *resp)
{
	const char *rel = req->rel;
	struct buf trimmed = BUF_INIT;
	bool write = req->op == OP_UPDATE || req->op == OP_CREATE;
	err_t rc;

	/* "role/web/secret-id/" lists the same folder as without "/". */
	if (req->op == OP_LIST) {
		size_t n = strlen(rel);
		while (n > 0 && rel[n - 1] == '/')
			n--;
		if (buf_append(&trimmed, rel, n) != ERR_OK)
			return response_error(resp, ERR_NOMEM, NULL);
		rel = buf_str(&trimmed);
	}
	if (strcmp(rel, "login") == 0 || strcmp(rel, "tidy/secret-id") == 0)
		rc = !write          ? response_error(resp, ERR_UNSUPPORTED,
		                                      "unsupported operation")
		     : rel[0] == 'l' ? login(m, req, resp)
		                     : approle_tidy(m, resp);
	else if (strcmp(rel, "role") == 0 || strcmp(rel, "role/") == 0)
		rc = approle_role_route(m, req, NULL, "", resp);
	else if (strncmp(rel, "role/", 5) == 0)
		rc = role_path(m, req, rel + 5, resp);
	else
		rc = response_error(resp, ERR_NOT_FOUND,
		                    "unsupported path \"%s%s\"", m->path, rel);
	buf_release(&trimmed);
	return rc;
}

static bool approle_unauthenticated(const char *rel, enum op op)
{
	return strcmp(rel, "login") == 0 &&
	       (op == OP_UPDATE || op == OP_CREATE);
}

static err_t approle_exists(struct mount *m, struct request *req, bool *found)
{
	struct buf name = BUF_INIT;
	json_t *role = NULL;
	const char *rel = req->rel;

	*found = true;
	if (strncmp(rel, "role/", 5) != 0 || strchr(rel + 5, '/') != NULL)
		return ERR_OK;
	if (approle_role_name(rel + 5, &name) == ERR_OK)
		*found = approle_role_get(m, buf_str(&name), &role) == ERR_OK;
	json_decref(role);
	buf_release(&name);
	return ERR_OK;
}

const struct mount_backend approle_backend = {
    .type = "approle",
    .kind = MOUNT_AUTH,
    .setup = approle_setup,
    .teardown = approle_teardown,
    .handle = approle_handle,
    .exists = approle_exists,
    .unauthenticated = approle_unauthenticated,
};

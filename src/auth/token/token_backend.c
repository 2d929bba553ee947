/*
 * token_backend.c - the token auth method at auth/token/: routing, and
 * lookup, renew, revoke (by value, self or accessor), the accessor list
 * and tidy. Vault's paths, bodies and answers (vault-api.md section 3).
 *
 * The caller's token reached the backend through core_authorize, so
 * req->auth is live. A token or accessor named in the request must belong
 * to the caller's namespace or one below it; one from elsewhere is
 * answered like an unknown one (CVE-2026-40264).
 */
#include <string.h>

#include "auth/token/token_backend.h"

#include "auth/cert/cert.h"
#include "base/params.h"
#include "base/secret.h"
#include "core/login.h"

err_t token_backend_bad_param(struct response *resp, const char *key)
{
	return response_error(resp, ERR_INVALID, "invalid value for \"%s\"",
	                      key);
}

static bool is_write(const struct request *req)
{
	return req->op == OP_UPDATE || req->op == OP_CREATE;
}

/* The value of key in the body, or the path rest after "name/". */
static const char *arg_of(struct request *req, const char *rest,
                          const char *key)
{
	const char *v = NULL;

	if (rest != NULL && *rest)
		return rest;
	if (param_str(req->data, key, &v) != ERR_OK || v == NULL || *v == 0)
		return NULL;
	return v;
}

/* The live token named by value, inside the caller's namespace. */
static err_t find_token(struct request *req, const char *value,
                        struct token_entry **out)
{
	struct core *c = req->mount->core;
	err_t rc = token_lookup(c->tokens, value, out);

	if (rc == ERR_OK && !token_in_ns(*out, req->ns)) {
		token_entry_free(*out);
		*out = NULL;
		rc = ERR_PERMISSION;
	}
	return rc;
}

static err_t find_accessor(struct request *req, const char *accessor,
                           struct token_entry **out)
{
	struct core *c = req->mount->core;
	err_t rc = token_lookup_accessor(c->tokens, accessor, out);

	if (rc == ERR_OK && !token_in_ns(*out, req->ns)) {
		token_entry_free(*out);
		*out = NULL;
		rc = ERR_NOT_FOUND;
	}
	return rc;
}

/* "identity_policies", shown only for a token with an entity. */
static void describe_identity(struct core *c, const struct token_entry *e,
                              json_t *data)
{
	json_t *idp = NULL;
	bool disabled;

	if (e->entity_id[0] == 0 ||
	    core_identity_policies(c, e, &idp, &disabled) != ERR_OK)
		return;
	json_object_set_new(data, "identity_policies", idp);
}

static err_t describe(struct response *resp, const struct token_entry *e,
                      const char *id, struct core *c)
{
	json_t *data = token_entry_describe(e);

	if (data == NULL)
		return response_error(resp, ERR_NOMEM, NULL);
	describe_identity(c, e, data);
	/* The caller already holds the value; it is never read back. */
	json_object_set_new(data, "id", json_string(id));
	response_set_data(resp, data);
	return ERR_OK;
}

static err_t lookup(struct request *req, struct response *resp,
                    const char *rest)
{
	const char *value = arg_of(req, rest, "token");
	struct token_entry *e = NULL;
	err_t rc;

	if (value == NULL)
		return response_error(resp, ERR_INVALID, "missing token ID");
	rc = find_token(req, value, &e);
	if (rc == ERR_PERMISSION)
		return response_error(resp, ERR_PERMISSION, "bad token");
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	rc = describe(resp, e, value, req->mount->core);
	token_entry_free(e);
	return rc;
}

static err_t lookup_accessor(struct request *req, struct response *resp,
                             const char *rest)
{
	const char *acc = arg_of(req, rest, "accessor");
	struct token_entry *e = NULL;
	err_t rc;

	if (acc == NULL)
		return response_error(resp, ERR_INVALID, "missing accessor");
	rc = find_accessor(req, acc, &e);
	if (rc == ERR_NOT_FOUND)
		return response_error(resp, ERR_INVALID, "invalid accessor");
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	rc = describe(resp, e, "", req->mount->core);
	token_entry_free(e);
	return rc;
}

/* Renews hash and answers with the auth block echoing client_token. */
static err_t renew_hash(struct request *req, struct response *resp,
                        const char *hash, const char *client_token)
{
	struct core *c = req->mount->core;
	struct token_entry *e = NULL;
	int64_t inc = 0, ttl = 0;
	err_t rc;

	rc = param_duration(req->data, "increment", &inc);
	if (rc == ERR_INVALID)
		return token_backend_bad_param(resp, "increment");
	rc = token_renew(c->tokens, hash, inc, &ttl, &e);
	if (rc == ERR_NOT_FOUND)
		return response_error(resp, ERR_INVALID, "token not found");
	if (rc == ERR_INVALID)
		return response_error(resp, ERR_INVALID,
		                      "lease is not renewable or is past "
		                      "its max TTL");
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	resp->auth = token_entry_auth(e, client_token);
	token_entry_free(e);
	if (inc > 0 && ttl < inc)
		response_warn(resp,
		              "TTL of %lld s was capped by the token's "
		              "max TTL",
		              (long long)ttl);
	return resp->auth ? ERR_OK : response_error(resp, ERR_NOMEM, NULL);
}

static err_t renew(struct request *req, struct response *resp, const char *rest,
                   int how)
{
	const char *arg;
	struct token_entry *e = NULL;
	err_t rc;

	/* Methods that bind a token to its login credential (cert.h). */
	if (how == 0) {
		rc = cert_renew_check(req->mount->core, req, req->auth, resp);
		return rc ? rc
		          : renew_hash(req, resp, req->auth->id_hash,
		                       req->token);
	}
	arg = arg_of(req, rest, how == 1 ? "token" : "accessor");
	if (arg == NULL)
		return response_error(resp, ERR_INVALID,
		                      how == 1 ? "missing token ID"
		                               : "missing accessor");
	rc = how == 1 ? find_token(req, arg, &e) : find_accessor(req, arg, &e);
	if (rc == ERR_PERMISSION || rc == ERR_NOT_FOUND)
		return response_error(resp, ERR_INVALID,
		                      how == 1 ? "token not found"
		                               : "invalid accessor");
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	rc = cert_renew_check(req->mount->core, req, e, resp);
	if (rc == ERR_OK)
		rc = renew_hash(req, resp, e->id_hash, how == 1 ? arg : "");
	token_entry_free(e);
	return rc;
}

/* how: 0 self, 1 by value, 2 by accessor, 3 by value orphaning children */
static err_t revoke(struct request *req, struct response *resp,
                    const char *rest, int how)
{
	struct core *c = req->mount->core;
	struct token_entry *e = NULL;
	const char *arg;
	err_t rc;

	if (how == 0) {
		rc = token_revoke(c->tokens, req->auth->id_hash, false);
		return rc ? response_error(resp, rc, "%s", err_str(rc))
		          : ERR_OK;
	}
	arg = arg_of(req, rest, how == 2 ? "accessor" : "token");
	if (arg == NULL)
		return response_error(resp, ERR_INVALID,
		                      how == 2 ? "missing accessor"
		                               : "missing token ID");
	rc = how == 2 ? find_accessor(req, arg, &e) : find_token(req, arg, &e);
	if (how == 2 && rc == ERR_NOT_FOUND)
		return response_error(resp, ERR_INVALID, "invalid accessor");
	if (rc == ERR_PERMISSION)
		return ERR_OK; /* an unknown token is revoked already */
	if (rc == ERR_OK)
		rc = token_revoke(c->tokens, e->id_hash, how == 3);
	token_entry_free(e);
	return rc ? response_error(resp, rc, "%s", err_str(rc)) : ERR_OK;
}

static err_t accessors(struct request *req, struct response *resp)
{
	struct core *c = req->mount->core;
	json_t *keys = NULL;
	err_t rc = token_list_accessors(c->tokens, req->ns, &keys);

	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	return response_list(resp, keys);
}

static err_t tidy(struct request *req, struct response *resp)
{
	struct core *c = req->mount->core;
	size_t cleaned = 0;
	err_t rc = token_tidy(c->tokens, &cleaned);

	if (rc != ERR_OK)
		return response_error(resp, rc, "tidy failed: %s", err_str(rc));
	response_warn(resp, "Tidy operation successfully started. Any "
	                    "information from the operation will be printed "
	                    "to the server's logs.");
	return ERR_OK;
}

/* The path rest after name ("" or "/x"): NULL when rel is not name. */
static const char *match(const char *rel, const char *name)
{
	size_t n = strlen(name);

	if (strncmp(rel, name, n) != 0)
		return NULL;
	if (rel[n] == 0)
		return "";
	return rel[n] == '/' ? rel + n + 1 : NULL;
}

/* Routes the write paths; NULL rest means "not this path". */
static err_t route_write(struct mount *m, struct request *req,
                         struct response *resp, bool *done)
{
	const char *rel = req->rel, *r;

	*done = true;
	if (strcmp(rel, "create") == 0)
		return token_backend_create(m, req, resp, NULL, false);
	if (strcmp(rel, "create-orphan") == 0)
		return token_backend_create(m, req, resp, NULL, true);
	if ((r = match(rel, "create")) != NULL && *r)
		return token_backend_create(m, req, resp, r, false);
	if ((r = match(rel, "lookup")) != NULL)
		return lookup(req, resp, r);
	if ((r = match(rel, "lookup-accessor")) != NULL)
		return lookup_accessor(req, resp, r);
	if (strcmp(rel, "renew-self") == 0)
		return renew(req, resp, NULL, 0);
	if ((r = match(rel, "renew")) != NULL)
		return renew(req, resp, r, 1);
	if ((r = match(rel, "renew-accessor")) != NULL)
		return renew(req, resp, r, 2);
	if (strcmp(rel, "revoke-self") == 0)
		return revoke(req, resp, NULL, 0);
	if ((r = match(rel, "revoke")) != NULL)
		return revoke(req, resp, r, 1);
	if ((r = match(rel, "revoke-accessor")) != NULL)
		return revoke(req, resp, r, 2);
	if ((r = match(rel, "revoke-orphan")) != NULL)
		return revoke(req, resp, r, 3);
	if (strcmp(rel, "tidy") == 0)
		return tidy(req, resp);
	*done = false;
	return ERR_OK;
}

static err_t token_handle(struct mount *m, struct request *req,
                          struct response *resp)
{
	const char *rel = req->rel, *r;
	bool done = false;
	err_t rc;

	if ((r = match(rel, "roles")) != NULL)
		return token_backend_roles(m, req, resp, *r ? r : NULL);
	if (strcmp(rel, "lookup-self") == 0 &&
	    (req->op == OP_READ || is_write(req)))
		return describe(resp, req->auth, req->token, req->mount->core);
	if (strcmp(rel, "accessors") == 0 || strcmp(rel, "accessors/") == 0) {
		if (req->op != OP_LIST)
			return response_error(resp, ERR_UNSUPPORTED,
			                      "unsupported operation");
		return accessors(req, resp);
	}
	/* Legacy: GET auth/token/lookup/<token>. */
	if (req->op == OP_READ && (r = match(rel, "lookup")) != NULL)
		return lookup(req, resp, r);
	if (is_write(req)) {
		rc = route_write(m, req, resp, &done);
		if (done)
			return rc;
	}
	return response_error(resp, ERR_NOT_FOUND,
	                      "unsupported path \"auth/token/%s\"", req->rel);
}

const struct mount_backend token_backend = {
    .type = "token",
    .kind = MOUNT_AUTH,
    .handle = token_handle,
};

/*
 * jwt_login.c - login with a signed JWT.
 *
 * Order: role and configuration, the token's form, its signature, then its
 * claims (issuer, times, audience, subject, bound claims), and only when
 * all of that holds, core_login. Every failure returns before a token
 * exists, and no message carries any part of the token.
 */
#include "auth/jwt/jwt_backend.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/tokenutil/tokenutil.h"
#include "base/params.h"
#include "core/login.h"

#define ERRLEN 300

struct login_ctx {
	struct mount *m;
	json_t *cfg;
	json_t *role;
	const char *role_name;
	struct jwt t;
	struct buf alias;
	json_t *meta;
	char err[ERRLEN];
};

static const char *str_of(json_t *obj, const char *key)
{
	const char *s = json_string_value(json_object_get(obj, key));

	return s ? s : "";
}

static int64_t leeway(json_t *role, const char *key)
{
	json_int_t v = json_integer_value(json_object_get(role, key));

	return v < 0 ? 0 : (int64_t)v;
}

/* Role name from the request or the default; loads config and role. */
static err_t load_role(struct login_ctx *x, struct request *req,
                       struct response *resp, struct buf *key)
{
	const char *name = NULL, *p;
	err_t rc;

	rc = jwt_load(x->m, "config", &x->cfg);
	if (rc != ERR_OK || x->cfg == NULL)
		return response_error(resp, rc ? rc : ERR_INVALID,
		                      "could not load configuration");
	if (param_str(req->data, "role", &name) != ERR_OK || *name == 0)
		name = str_of(x->cfg, "default_role");
	if (*name == 0)
		return response_error(resp, ERR_INVALID,
		                      "missing role, and no default_role is "
		                      "configured");
	if (!jwt_role_name_ok(name))
		return response_error(resp, ERR_INVALID, "invalid role name");
	rc = buf_append_str(key, "role/");
	for (p = name; rc == ERR_OK && *p; p++)
		rc = buf_append_byte(key, (uint8_t)tolower((unsigned char)*p));
	if (rc == ERR_OK)
		rc = jwt_load(x->m, buf_str(key), &x->role);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	if (x->role == NULL)
		return response_error(resp, ERR_INVALID,
		                      "role \"%.128s\" could not be found",
		                      name);
	x->role_name = buf_str(key) + 5;
	if (strcmp(str_of(x->role, "role_type"), "jwt") != 0)
		return response_error(
		    resp, ERR_INVALID,
		    "role with oidc role_type is not allowed");
	return ERR_OK;
}

static bool alg_allowed(json_t *cfg, const char *alg)
{
	json_t *algs = json_object_get(cfg, "jwt_supported_algs"), *v;
	size_t i;

	/* No list: every asymmetric algorithm this server implements. */
	if (json_array_size(algs) == 0)
		return true;
	json_array_foreach(algs, i, v)
	{
		if (strcmp(json_string_value(v), alg) == 0)
			return true;
	}
	return false;
}

/* Form and signature. */
static err_t check_token(struct login_ctx *x, struct request *req,
                         struct response *resp)
{
	struct jwt_state *st = x->m->state;
	const char *jwt = NULL;

	if (param_str(req->data, "jwt", &jwt) != ERR_OK || *jwt == 0)
		return response_error(resp, ERR_INVALID, "missing token");
	if (jwt_parse(jwt, strlen(jwt), &x->t, x->err, ERRLEN) != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "error validating token: %s", x->err);
	if (!alg_allowed(x->cfg, x->t.alg_name))
		return response_error(resp, ERR_INVALID,
		                      "error validating token: algorithm %s "
		                      "is not in jwt_supported_algs",
		                      jwt_alg_name(x->t.alg));
	if (jwt_keys_verify(st, x->cfg, &x->t, x->err, ERRLEN) != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "error validating token: %s", x->err);
	return ERR_OK;
}

static err_t check_issuer(struct login_ctx *x, struct response *resp)
{
	const char *bound = str_of(x->cfg, "bound_issuer");
	const char *iss =
	    json_string_value(json_object_get(x->t.claims, "iss"));
	struct buf discovered = BUF_INIT;
	err_t rc = ERR_OK;

	if (*bound && (iss == NULL || strcmp(iss, bound) != 0))
		rc = response_error(resp, ERR_INVALID,
		                    "error validating claims: iss claim does "
		                    "not match bound_issuer");
	if (rc == ERR_OK && jwt_keys_issuer(x->m->state, x->cfg, &discovered,
	                                    x->err, ERRLEN) != ERR_OK)
		rc = response_error(resp, ERR_INVALID,
		                    "error validating token: %s", x->err);
	/* With discovery, the provider's issuer is the only one. */
	if (rc == ERR_OK && discovered.len > 0 &&
	    (iss == NULL || strcmp(iss, buf_str(&discovered)) != 0))
		rc = response_error(resp, ERR_INVALID,
		                    "error validating claims: iss claim does "
		                    "not match the discovered issuer");
	buf_release(&discovered);
	return rc;
}

static err_t check_claims(struct login_ctx *x, struct response *resp)
{
	struct jwt_leeway lw;
	const char *sub = str_of(x->role, "bound_subject");
	json_t *claims = x->t.claims;
	err_t rc;

	lw.clock_skew = leeway(x->role, "clock_skew_leeway");
	lw.expiration = leeway(x->role, "expiration_leeway");
	lw.not_before = leeway(x->role, "not_before_leeway");
	rc = check_issuer(x, resp);
	if (rc != ERR_OK)
		return rc;
	if (jwt_check_times(claims, (int64_t)time(NULL), &lw, true, x->err,
	                    ERRLEN) != ERR_OK ||
	    jwt_check_audience(claims,
	                       json_object_get(x->role, "bound_audiences"),
	                       false, x->err, ERRLEN) != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "error validating claims: %s", x->err);
	if (*sub && strcmp(str_of(claims, "sub"), sub) != 0)
		return response_error(resp, ERR_INVALID,
		                      "error validating claims: sub claim does "
		                      "not match bound subject");
	if (jwt_check_bound_claims(
	        claims, json_object_get(x->role, "bound_claims"),
	        strcmp(str_of(x->role, "bound_claims_type"), "glob") == 0,
	        x->err, ERRLEN) != ERR_OK)
		return response_error(resp, ERR_INVALID,
		                      "error validating claims: %s", x->err);
	return ERR_OK;
}

/* The alias name, the groups claim's form, and the mapped metadata. */
static err_t read_identity(struct login_ctx *x, struct response *resp)
{
	const char *uc = str_of(x->role, "user_claim");
	const char *gc = str_of(x->role, "groups_claim");
	json_t *v, *groups;
	const char *claim;
	size_t i;

	buf_init(&x->alias, 1024);
	v = jwt_claim(x->t.claims, uc);
	if (v == NULL || jwt_claim_text(v, &x->alias) != ERR_OK ||
	    x->alias.len == 0)
		return response_error(resp, ERR_INVALID,
		                      "claim \"%.64s\" not found in token or "
		                      "not a usable string",
		                      uc);
	groups = *gc ? jwt_claim(x->t.claims, gc) : NULL;
	if (*gc && !json_is_array(groups) && !json_is_string(groups))
		return response_error(resp, ERR_INVALID,
		                      "%.64s claim not found in token or not "
		                      "a list",
		                      gc);
	json_array_foreach(json_is_array(groups) ? groups : NULL, i, v)
	{
		if (!json_is_string(v))
			return response_error(resp, ERR_INVALID,
			                      "%.64s claim holds a non-string "
			                      "group",
			                      gc);
	}
	x->meta = json_pack("{ss}", "role", x->role_name);
	json_object_foreach(json_object_get(x->role, "claim_mappings"), claim,
	                    v)
	{
		struct buf text = BUF_INIT;
		json_t *c = jwt_claim(x->t.claims, claim);
		/* Unmappable (missing, list, object) claims are skipped. */
		if (c != NULL && jwt_claim_text(c, &text) == ERR_OK)
			json_object_set_new(x->meta, json_string_value(v),
			                    json_string(buf_str(&text)));
		buf_release(&text);
	}
	return x->meta ? ERR_OK : response_error(resp, ERR_NOMEM, NULL);
}

/* "jwt-<alias>": the mount's name with its slashes made dashes. */
static err_t display_name(struct mount *m, const char *alias, struct buf *out)
{
	const char *p = m->path;
	err_t rc = ERR_OK;

	if (strncmp(p, "auth/", 5) == 0)
		p += 5;
	for (; rc == ERR_OK && *p; p++)
		if (p[1] != 0 || *p != '/')
			rc = buf_append_byte(out, *p == '/' ? '-' : *p);
	if (rc == ERR_OK)
		rc = buf_printf(out, "-%s", alias);
	return rc;
}

static err_t issue(struct login_ctx *x, struct request *req,
                   struct response *resp)
{
	struct login_result lr;
	struct buf dn = BUF_INIT;
	err_t rc;

	memset(&lr, 0, sizeof(lr));
	tokenutil_login(x->role, &lr);
	if (display_name(x->m, buf_str(&x->alias), &dn) != ERR_OK) {
		buf_release(&dn);
		return response_error(resp, ERR_NOMEM, NULL);
	}
	lr.display_name = buf_str(&dn);
	lr.metadata = x->meta;
	lr.alias_name = buf_str(&x->alias);
	lr.alias_metadata = x->meta;
	rc = core_login(x->m, req, &lr, resp);
	buf_release(&dn);
	return rc;
}

err_t jwt_login(struct mount *m, struct request *req, struct response *resp)
{
	struct login_ctx x;
	struct buf key = BUF_INIT;
	err_t rc;

	memset(&x, 0, sizeof(x));
	x.m = m;
	buf_init(&x.alias, 1024);
	rc = load_role(&x, req, resp, &key);
	if (rc == ERR_OK && !tokenutil_cidr_allowed(x.role, req->remote_addr))
		rc = response_error(resp, ERR_PERMISSION,
		                    "login from this address is not allowed "
		                    "by token_bound_cidrs");
	if (rc == ERR_OK)
		rc = check_token(&x, req, resp);
	if (rc == ERR_OK)
		rc = check_claims(&x, resp);
	if (rc == ERR_OK)
		rc = read_identity(&x, resp);
	if (rc == ERR_OK)
		rc = issue(&x, req, resp);

	jwt_release(&x.t);
	buf_release(&x.alias);
	buf_release(&key);
	json_decref(x.meta);
	json_decref(x.role);
	json_decref(x.cfg);
	return rc;
}

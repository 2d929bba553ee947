/*
 * k8s_login.c - login with a Kubernetes service-account token, verified
 * locally with the configured pem_keys (see kubernetes.h for what is not
 * done).
 */
#include "auth/kubernetes/kubernetes.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/jwt/jwt.h"
#include "auth/jwt/jwt_backend.h"
#include "auth/tokenutil/tokenutil.h"
#include "base/params.h"
#include "core/login.h"

#define LEGACY         "kubernetes.io/serviceaccount/"
#define ERRLEN         300
#define DEFAULT_ISSUER "kubernetes/serviceaccount"

static const char *claim_str(json_t *obj, const char *key)
{
	return json_string_value(json_object_get(obj, key));
}

err_t k8s_identity_read(json_t *claims, struct k8s_identity *out)
{
	json_t *k8s = json_object_get(claims, "kubernetes.io");
	json_t *sa = json_object_get(k8s, "serviceaccount");
	const char *sub = claim_str(claims, "sub");
	struct buf want = BUF_INIT;
	bool ok;

	memset(out, 0, sizeof(*out));
	if (json_is_object(k8s)) {
		out->ns = claim_str(k8s, "namespace");
		out->name = claim_str(sa, "name");
		out->uid = claim_str(sa, "uid");
	} else {
		out->ns = claim_str(claims, LEGACY "namespace");
		out->name = claim_str(claims, LEGACY "service-account.name");
		out->uid = claim_str(claims, LEGACY "service-account.uid");
		out->secret_name = claim_str(claims, LEGACY "secret.name");
	}
	if (out->ns == NULL || out->name == NULL || !*out->ns || !*out->name)
		return ERR_INVALID;
	/* The subject, when present, must name the same account. */
	if (sub == NULL)
		return ERR_OK;
	ok = buf_printf(&want, "system:serviceaccount:%s:%s", out->ns,
	                out->name) == ERR_OK &&
	     strcmp(buf_str(&want), sub) == 0;
	buf_release(&want);
	return ok ? ERR_OK : ERR_INVALID;
}

static bool glob_any(json_t *globs, const char *s)
{
	json_t *g;
	size_t i;

	json_array_foreach(globs, i, g)
	{
		if (jwt_glob_match(json_string_value(g), s))
			return true;
	}
	return false;
}

/* Signature with one of pem_keys. */
static err_t verify_signature(json_t *cfg, const struct jwt *t, char *err)
{
	json_t *pems = json_object_get(cfg, "pem_keys"), *v;
	EVP_PKEY *key;
	size_t i;

	snprintf(err, ERRLEN, "no pem_keys entry fits the token's algorithm");
	json_array_foreach(pems, i, v)
	{
		err_t rc;
		if (jwt_pem_public_key(json_string_value(v), &key) != ERR_OK)
			continue;
		rc = jwt_key_fits(key, t->alg) ? jwt_verify(t, key, err, ERRLEN)
		                               : ERR_INVALID;
		EVP_PKEY_free(key);
		if (rc == ERR_OK)
			return ERR_OK;
	}
	return ERR_INVALID;
}

/* Issuer, times and audience of a verified token. */
static err_t check_claims(json_t *cfg, json_t *role, json_t *claims, char *err)
{
	const struct jwt_leeway lw = {60, 0, 0};
	const char *iss = json_string_value(json_object_get(cfg, "issuer"));
	const char *aud = json_string_value(json_object_get(role, "audience"));
	json_t *bound;
	err_t rc;

	if (!json_is_true(json_object_get(cfg, "disable_iss_validation"))) {
		const char *want = iss && *iss ? iss : DEFAULT_ISSUER;
		const char *got = claim_str(claims, "iss");
		if (got == NULL || strcmp(got, want) != 0) {
			snprintf(err, ERRLEN,
			         "iss claim does not match the "
			         "configured issuer");
			return ERR_INVALID;
		}
	}
	if (jwt_check_times(claims, (int64_t)time(NULL), &lw, false, err,
	                    ERRLEN) != ERR_OK)
		return ERR_INVALID;
	if (aud == NULL || *aud == 0)
		return ERR_OK;
	bound = json_pack("[s]", aud);
	rc = jwt_check_audience(claims, bound, false, err, ERRLEN);
	json_decref(bound);
	return rc;
}

static err_t load(struct mount *m, struct request *req, json_t **cfg,
                  json_t **role, const char **name, struct response *resp)
{
	struct buf key = BUF_INIT;
	err_t rc;

	if (param_str(req->data, "role", name) != ERR_OK || **name == 0)
		return response_error(resp, ERR_INVALID, "missing role");
	rc = jwt_load(m, "config", cfg);
	if (rc != ERR_OK || *cfg == NULL)
		return response_error(resp, rc ? rc : ERR_INVALID,
		                      "could not load backend configuration");
	if (strchr(*name, '/') == NULL && strlen(*name) <= 128 &&
	    buf_printf(&key, "role/%s", *name) == ERR_OK)
		rc = jwt_load(m, buf_str(&key), role);
	buf_release(&key);
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	if (*role == NULL)
		return response_error(resp, ERR_INVALID,
		                      "invalid role name \"%.128s\"", *name);
	if (json_array_size(json_object_get(*cfg, "pem_keys")) == 0)
		return response_error(resp, ERR_INVALID,
		                      "this server verifies service-account "
		                      "tokens locally only: configure pem_keys "
		                      "(the TokenReview API is not supported)");
	return ERR_OK;
}

static err_t issue(struct mount *m, struct request *req, json_t *role,
                   const char *name, const struct k8s_identity *id,
                   struct response *resp)
{
	const char *src = claim_str(role, "alias_name_source");
	struct buf dn = BUF_INIT, alias = BUF_INIT;
	struct login_result lr;
	err_t rc = ERR_OK;

	memset(&lr, 0, sizeof(lr));
	tokenutil_login(role, &lr);
	if (src != NULL && strcmp(src, "serviceaccount_name") == 0)
		rc = buf_printf(&alias, "%s/%s", id->ns, id->name);
	else if (id->uid == NULL || *id->uid == 0)
		return response_error(resp, ERR_INVALID,
		                      "token has no service account uid, which "
		                      "alias_name_source needs");
	else
		rc = buf_append_str(&alias, id->uid);
	if (rc == ERR_OK)
		rc = buf_printf(&dn, "kubernetes-%s-%s", id->ns, id->name);
	lr.metadata = json_pack(
	    "{ss ss ss ss ss}", "role", name, "service_account_name", id->name,
	    "service_account_namespace", id->ns, "service_account_uid",
	    id->uid ? id->uid : "", "service_account_secret_name",
	    id->secret_name ? id->secret_name : "");
	lr.display_name = buf_str(&dn);
	lr.alias_name = buf_str(&alias);
	lr.alias_metadata = lr.metadata;
	if (rc != ERR_OK || lr.metadata == NULL)
		rc = response_error(resp, ERR_NOMEM, NULL);
	else
		rc = core_login(m, req, &lr, resp);
	json_decref(lr.metadata);
	buf_release(&dn);
	buf_release(&alias);
	return rc;
}

err_t k8s_login(struct mount *m, struct request *req, struct response *resp)
{
	json_t *cfg = NULL, *role = NULL;
	struct jwt t;
	struct k8s_identity id;
	const char *name = NULL, *jwt = NULL;
	char err[ERRLEN] = "";
	err_t rc;

	memset(&t, 0, sizeof(t));
	rc = load(m, req, &cfg, &role, &name, resp);
	if (rc == ERR_OK && !tokenutil_cidr_allowed(role, req->remote_addr))
		rc = response_error(resp, ERR_PERMISSION,
		                    "login from this address is not allowed "
		                    "by token_bound_cidrs");
	if (rc == ERR_OK &&
	    (param_str(req->data, "jwt", &jwt) != ERR_OK || *jwt == 0))
		rc = response_error(resp, ERR_INVALID, "missing jwt");
	if (rc == ERR_OK &&
	    (jwt_parse(jwt, strlen(jwt), &t, err, ERRLEN) != ERR_OK ||
	     verify_signature(cfg, &t, err) != ERR_OK))
		rc = response_error(resp, ERR_INVALID,
		                    "error validating token: %s", err);
	if (rc == ERR_OK && check_claims(cfg, role, t.claims, err) != ERR_OK)
		rc = response_error(resp, ERR_PERMISSION,
		                    "permission denied: %s", err);
	if (rc == ERR_OK && k8s_identity_read(t.claims, &id) != ERR_OK)
		rc = response_error(resp, ERR_INVALID,
		                    "token does not name a service account");
	/* Vault answers an unbound account or namespace with 403. */
	if (rc == ERR_OK &&
	    !glob_any(json_object_get(role, "bound_service_account_names"),
	              id.name))
		rc = response_error(resp, ERR_PERMISSION,
		                    "service account name not authorized");
	if (rc == ERR_OK &&
	    !glob_any(json_object_get(role, "bound_service_account_namespaces"),
	              id.ns))
		rc = response_error(resp, ERR_PERMISSION,
		                    "namespace not authorized");
	if (rc == ERR_OK)
		rc = issue(m, req, role, name, &id, resp);
	jwt_release(&t);
	json_decref(role);
	json_decref(cfg);
	return rc;
}

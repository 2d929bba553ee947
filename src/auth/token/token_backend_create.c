/*
 * token_backend_create.c - POST auth/token/create, create-orphan and
 * create/<role>: the request parameters become a struct token_params, a
 * role's settings override them, and the token store applies the rules.
 */
#include <string.h>

#include "auth/token/token_backend.h"
#include "base/buf.h"
#include "base/params.h"
#include "base/secret.h"

struct create_req {
	struct token_params p;
	bool no_parent;
	const char *type;
	json_t *policies, *meta; /* owned */
};

/* Reads the optional parameters; a bad one answers 400. */
static err_t parse_create(struct request *req, struct response *resp,
                          struct create_req *cr)
{
	json_t *d = req->data;
	struct token_params *p = &cr->p;

	if (param_str(d, "id", &p->id) == ERR_INVALID)
		return token_backend_bad_param(resp, "id");
	if (param_strlist(d, "policies", &cr->policies) == ERR_INVALID)
		return token_backend_bad_param(resp, "policies");
	if (param_strmap(d, "meta", &cr->meta) == ERR_INVALID)
		return token_backend_bad_param(resp, "meta");
	if (param_bool(d, "no_parent", &cr->no_parent) == ERR_INVALID)
		return token_backend_bad_param(resp, "no_parent");
	if (param_bool(d, "no_default_policy", &p->no_default_policy) ==
	    ERR_INVALID)
		return token_backend_bad_param(resp, "no_default_policy");
	if (param_bool(d, "renewable", &p->renewable) == ERR_INVALID)
		return token_backend_bad_param(resp, "renewable");
	if (param_duration(d, "lease", &p->ttl) == ERR_INVALID)
		return token_backend_bad_param(resp, "lease");
	if (param_duration(d, "ttl", &p->ttl) == ERR_INVALID)
		return token_backend_bad_param(resp, "ttl");
	if (param_duration(d, "explicit_max_ttl", &p->explicit_max_ttl) ==
	    ERR_INVALID)
		return token_backend_bad_param(resp, "explicit_max_ttl");
	if (param_duration(d, "period", &p->period) == ERR_INVALID)
		return token_backend_bad_param(resp, "period");
	if (param_str(d, "display_name", &p->display_name) == ERR_INVALID)
		return token_backend_bad_param(resp, "display_name");
	if (param_int(d, "num_uses", &p->num_uses) == ERR_INVALID)
		return token_backend_bad_param(resp, "num_uses");
	if (param_str(d, "type", &cr->type) == ERR_INVALID)
		return token_backend_bad_param(resp, "type");
	p->policies = cr->policies;
	p->meta = cr->meta;
	return ERR_OK;
}

/* The settings only root may ask for (sudo, once the ACL exists). */
static err_t check_privileged(struct request *req, struct response *resp,
                              const struct create_req *cr, bool role)
{
	if (token_is_root(req->auth))
		return ERR_OK;
	if (cr->p.id != NULL)
		return response_error(resp, ERR_INVALID,
		                      "root or sudo privileges required to "
		                      "specify token id");
	if (cr->no_parent)
		return response_error(resp, ERR_INVALID,
		                      "root or sudo privileges required to "
		                      "create orphan token");
	if (cr->p.period > 0 && !role)
		return response_error(resp, ERR_INVALID,
		                      "root or sudo privileges required to "
		                      "create periodic token");
	return ERR_OK;
}

static err_t check_type(struct response *resp, const char *type)
{
	if (type == NULL || *type == 0 || strcmp(type, "service") == 0 ||
	    strcmp(type, "default") == 0 ||
	    strcmp(type, "default-service") == 0)
		return ERR_OK;
	/*
	 * Batch tokens (AEAD blobs that are never stored) are not built
	 * yet; refusing plainly beats handing out a service token instead.
	 */
	if (strcmp(type, "batch") == 0 || strcmp(type, "default-batch") == 0)
		return response_error(resp, ERR_INVALID,
		                      "batch tokens are not supported yet");
	return response_error(resp, ERR_INVALID, "invalid 'type' value");
}

static int64_t role_int(json_t *role, const char *key)
{
	return json_integer_value(json_object_get(role, key));
}

/* Applies role name's settings to cr; path receives the creation path. */
static err_t apply_role(struct request *req, struct response *resp,
                        const char *name, json_t *role, struct create_req *cr,
                        struct buf *path)
{
	struct token_params *p = &cr->p;
	const char *suffix =
	    json_string_value(json_object_get(role, "path_suffix"));
	int64_t v;
	err_t rc;

	(void)req;
	rc = check_type(resp,
	                json_string_value(json_object_get(role, "token_type")));
	if (rc != ERR_OK)
		return rc;
	p->role = name;
	p->allowed_policies = json_object_get(role, "allowed_policies");
	p->disallowed_policies = json_object_get(role, "disallowed_policies");
	p->orphan = json_is_true(json_object_get(role, "orphan"));
	if (!json_is_true(json_object_get(role, "renewable")))
		p->renewable = false;
	if ((v = role_int(role, "token_period")) > 0)
		p->period = v;
	v = role_int(role, "token_explicit_max_ttl");
	if (v > 0 && (p->explicit_max_ttl == 0 || v < p->explicit_max_ttl))
		p->explicit_max_ttl = v;
	if (p->ttl == 0)
		p->ttl = role_int(role, "token_ttl");
	v = role_int(role, "token_max_ttl");
	if (v > 0 && (p->max_ttl == 0 || v < p->max_ttl))
		p->max_ttl = v;
	if (json_is_true(json_object_get(role, "token_no_default_policy")))
		p->no_default_policy = true;
	if (p->num_uses == 0)
		p->num_uses = role_int(role, "token_num_uses");
	rc = buf_printf(path, "auth/token/create/%s", name);
	if (rc == ERR_OK && suffix != NULL && *suffix)
		rc = buf_printf(path, "/%s", suffix);
	return rc == ERR_OK ? ERR_OK : response_error(resp, rc, NULL);
}

/* Runs the store and writes the auth block. */
static err_t issue(struct mount *m, struct request *req, struct response *resp,
                   struct create_req *cr)
{
	struct core *c = m->core;
	struct token_entry *e = NULL;
	char errmsg[200], *value = NULL;
	err_t rc;

	rc = token_create(c->tokens, &cr->p, req->auth, &value, &e, errmsg,
	                  sizeof(errmsg));
	if (rc == ERR_INVALID)
		return response_error(resp, rc, "%s", errmsg);
	if (rc == ERR_PERMISSION)
		return response_error(resp, rc, "permission denied");
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	resp->auth = token_entry_auth(e, value);
	secret_free(value);
	token_entry_free(e);
	return resp->auth ? ERR_OK : response_error(resp, ERR_NOMEM, NULL);
}

err_t token_backend_create(struct mount *m, struct request *req,
                           struct response *resp, const char *role,
                           bool orphan_path)
{
	struct create_req cr;
	struct core *c = m->core;
	struct buf path = BUF_INIT;
	json_t *rdef = NULL;
	err_t rc;

	memset(&cr, 0, sizeof(cr));
	cr.p.renewable = true;
	cr.p.ns = req->ns;
	cr.p.default_ttl = m->default_lease_ttl ? m->default_lease_ttl
	                                        : c->opts.default_lease_ttl;
	cr.p.max_ttl =
	    m->max_lease_ttl ? m->max_lease_ttl : c->opts.max_lease_ttl;
	rc = parse_create(req, resp, &cr);
	if (rc == ERR_OK)
		rc = check_privileged(req, resp, &cr, role != NULL);
	if (rc == ERR_OK)
		rc = check_type(resp, cr.type);
	if (rc != ERR_OK)
		goto out;
	cr.p.orphan = orphan_path || cr.no_parent;
	cr.p.path = orphan_path ? "auth/token/create-orphan" : NULL;

	if (role != NULL) {
		rc = token_backend_role_get(m, role, &rdef);
		if (rc == ERR_NOT_FOUND)
			rc = response_error(resp, ERR_INVALID,
			                    "unknown role %s", role);
		else if (rc != ERR_OK)
			rc = response_error(resp, rc, "%s", err_str(rc));
		if (rc == ERR_OK)
			rc = apply_role(req, resp, role, rdef, &cr, &path);
		cr.p.path = buf_str(&path);
	}
	if (rc == ERR_OK)
		rc = issue(m, req, resp, &cr);
out:
	json_decref(cr.policies);
	json_decref(cr.meta);
	json_decref(rdef);
	buf_release(&path);
	return rc;
}

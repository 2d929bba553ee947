/*
 * login.c - the token of a successful login, and what identity adds to a
 * token's policies.
 */
#include "core/login.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "base/secret.h"
#include "core/core_internal.h"
#include "identity/identity.h"

static int64_t pick(int64_t wanted, int64_t mount, int64_t system)
{
	if (wanted > 0)
		return wanted;
	return mount > 0 ? mount : system;
}

/* The identity mount; NULL only on a server mid-unseal. */
static struct mount *identity_mount(struct core *c)
{
	return mounts_find(c, "", IDENTITY_MOUNT_PATH);
}

err_t core_identity_policies(struct core *c, const struct token_entry *e,
                             json_t **out, bool *disabled)
{
	struct mount *idm = identity_mount(c);

	*disabled = false;
	if (e->entity_id == NULL || e->entity_id[0] == 0 || idm == NULL) {
		*out = json_array();
		return *out ? ERR_OK : ERR_NOMEM;
	}
	return identity_policies(idm, e->ns, e->entity_id, out, disabled);
}

/* The entity of lr's alias into *entity_id (heap), or NULL without one. */
static err_t login_entity(struct mount *m, struct request *req,
                          const struct login_result *lr, char **entity_id,
                          struct response *resp)
{
	struct mount *idm = identity_mount(m->core);
	err_t rc;

	*entity_id = NULL;
	if (lr->alias_name == NULL || idm == NULL)
		return ERR_OK;
	rc = identity_login(idm, req->ns, m, lr->alias_name, lr->alias_metadata,
	                    entity_id);
	if (rc == ERR_PERMISSION)
		return response_error(resp, rc, "permission denied");
	if (rc == ERR_INVALID)
		return response_error(resp, rc, "invalid alias name");
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	return ERR_OK;
}

/* Adds identity_policies to the auth block when there are any. */
static void auth_identity(struct core *c, const struct token_entry *e,
                          json_t *auth)
{
	json_t *idp = NULL, *all, *sorted;
	bool disabled, root;

	if (core_identity_policies(c, e, &idp, &disabled) != ERR_OK ||
	    json_array_size(idp) == 0) {
		json_decref(idp);
		return;
	}
	/* Vault shows the union in "policies", sorted, once each. */
	all = json_copy(json_object_get(auth, "policies"));
	json_array_extend(all, idp);
	sorted = identity_normalise_policies(all, &root);
	json_object_set_new(auth, "identity_policies", idp);
	if (sorted != NULL)
		json_object_set_new(auth, "policies", sorted);
	json_decref(all);
}

/* Fills p from lr and the mount's and system's TTLs. */
static void login_params(struct mount *m, struct request *req,
                         const struct login_result *lr, const char *path,
                         struct token_params *p)
{
	struct core *c = m->core;

	memset(p, 0, sizeof(*p));
	p->ns = req->ns;
	p->policies = lr->policies;
	p->no_default_policy = lr->no_default_policy;
	p->meta = lr->metadata;
	p->display_name = lr->display_name;
	p->path = path;
	p->orphan = true;
	p->renewable = lr->renewable;
	p->default_ttl =
	    pick(0, m->default_lease_ttl, c->opts.default_lease_ttl);
	p->max_ttl = pick(lr->max_ttl, m->max_lease_ttl, c->opts.max_lease_ttl);
	p->ttl = lr->ttl > 0 ? lr->ttl : p->default_ttl;
	if (p->max_ttl > 0 && p->ttl > p->max_ttl)
		p->ttl = p->max_ttl;
	p->explicit_max_ttl = lr->explicit_max_ttl;
	p->period = lr->period;
	p->num_uses = lr->num_uses;
	p->bound_cidrs = lr->bound_cidrs;
}

err_t core_login(struct mount *m, struct request *req,
                 const struct login_result *lr, struct response *resp)
{
	struct core *c = m->core;
	struct token_params p;
	struct token_entry *e = NULL;
	char *value = NULL, *entity_id = NULL, errmsg[256] = "", path[1024];
	err_t rc;

	/* A method that already failed this request gets no token. */
	if (resp->err != ERR_OK)
		return resp->err;
	/* The path asked, as Vault records it: "auth/userpass/login/bob". */
	snprintf(path, sizeof(path), "%s", lr->path ? lr->path : req->path);
	login_params(m, req, lr, path, &p);
	rc = login_entity(m, req, lr, &entity_id, resp);
	if (rc != ERR_OK)
		return rc;
	p.entity_id = entity_id;

	rc = token_create(c->tokens, &p, NULL, &value, &e, errmsg,
	                  sizeof(errmsg));
	if (rc != ERR_OK) {
		rc = response_error(resp, rc, "%s",
		                    errmsg[0] ? errmsg : err_str(rc));
		goto out;
	}
	resp->auth = token_entry_auth(e, value);
	if (resp->auth == NULL) {
		/* A token nobody was told about must not stay usable. */
		token_revoke(c->tokens, e->id_hash, false);
		rc = response_error(resp, ERR_NOMEM, NULL);
		goto out;
	}
	auth_identity(c, e, resp->auth);
	log_debug("auth", "login at %s issued token with accessor %s", m->path,
	          e->accessor);
out:
	free(entity_id);
	secret_free(value);
	token_entry_free(e);
	return rc;
}

/*
 * authorize.c - may this token do this request? The ACL of the token's
 * policies, sudo on the root-protected paths, and the wrapping limits.
 *
 * The path a policy sees is the request path relative to the token's own
 * namespace: a token of the root namespace acting in "team-a/" matches its
 * rules against "team-a/secret/...".
 */
#include <string.h>

#include "base/buf.h"
#include "core/core_internal.h"
#include "core/login.h"
#include "core/policy.h"
#include "core/policy_store.h"

struct sudo_path {
	const char *type;   /* the mount's backend type */
	const char *prefix; /* path inside the mount */
	bool exact;         /* exact path, else any path below prefix too */
};

/* The paths Vault treats as root-protected: they need `sudo` too. */
static const struct sudo_path sudo_paths[] = {
    {"system", "seal", true},
    {"system", "step-down", true},
    {"system", "rotate", true},
    {"system", "remount", true},
    {"system", "audit", false},
    {"system", "auth/", false},
    {"system", "raw", false},
    {"system", "config/", false},
    {"system", "plugins/catalog/", false},
    {"system", "revoke-prefix/", false},
    {"system", "revoke-force/", false},
    {"system", "leases/revoke-prefix/", false},
    {"system", "leases/revoke-force/", false},
    {"system", "leases/lookup/", false},
    {"token", "accessors", false},
    {"token", "revoke-orphan", false},
};

static bool needs_sudo(const struct mount *m, const char *rel)
{
	size_t i, n;

	for (i = 0; i < sizeof(sudo_paths) / sizeof(sudo_paths[0]); i++) {
		if (strcmp(m->type, sudo_paths[i].type) != 0)
			continue;
		n = strlen(sudo_paths[i].prefix);
		if (sudo_paths[i].exact
		        ? strcmp(rel, sudo_paths[i].prefix) == 0
		        : strncmp(rel, sudo_paths[i].prefix, n) == 0)
			return true;
	}
	return false;
}

/* An update of a path that holds nothing yet is a create, for the ACL. */
static enum op effective_op(struct request *req)
{
	const struct mount_backend *be = req->mount->backend;
	bool found = true;

	if (req->op != OP_UPDATE || be->exists == NULL)
		return req->op;
	if (be->exists(req->mount, req, &found) != ERR_OK)
		return req->op;
	return found ? OP_UPDATE : OP_CREATE;
}

static err_t check_wrapping(const struct acl_result *res,
                            const struct request *req, struct response *resp)
{
	if (res->min_wrapping_ttl > 0 &&
	    (req->wrap_ttl == 0 || req->wrap_ttl < res->min_wrapping_ttl))
		return response_error(resp, ERR_PERMISSION,
		                      "wrapping TTL is lower than the "
		                      "minimum the policy allows");
	if (res->max_wrapping_ttl > 0 &&
	    (req->wrap_ttl == 0 || req->wrap_ttl > res->max_wrapping_ttl))
		return response_error(resp, ERR_PERMISSION,
		                      "wrapping TTL is higher than the "
		                      "maximum the policy allows");
	return ERR_OK;
}

/*
 * The token's policies and those of its entity and groups, read now so
 * that a change in identity applies to the next request. Identity never
 * brings "root" (identity_policies drops it), and the root shortcut of
 * core_acl_check looks at the token's own policies only. *disabled: the
 * entity is disabled and the token must be refused.
 */
static err_t all_policies(struct core *c, const struct token_entry *e,
                          json_t **out, bool *shared, bool *disabled)
{
	json_t *idp = NULL;
	err_t rc = core_identity_policies(c, e, &idp, disabled);

	if (rc != ERR_OK)
		return rc;
	if (json_array_size(idp) == 0) {
		/* The common case: the token's own list, shared as it is. */
		*out = json_incref(e->policies);
		*shared = true;
		json_decref(idp);
		return ERR_OK;
	}
	*out = json_copy(e->policies);
	if (*out == NULL || json_array_extend(*out, idp) != 0) {
		json_decref(*out);
		rc = ERR_NOMEM;
	}
	json_decref(idp);
	return rc;
}

#define UI_MOUNTS "internal/ui/mounts/"

/* A read of sys/internal/ui/mounts/<path>. */
static bool is_ui_mounts(const struct request *req)
{
	return req->mount != NULL && strcmp(req->mount->type, "system") == 0 &&
	       strncmp(req->rel, UI_MOUNTS, strlen(UI_MOUNTS)) == 0 &&
	       req->op == OP_READ;
}

/*
 * sys/internal/ui/mounts/<path> answers any token that may do something
 * inside the mount serving <path>, as Vault does: clients ask it before
 * reading a KV secret to learn the mount's version, with tokens that can
 * only read that secret. No mount there: the handler says so.
 */
static bool ui_mounts_access(struct core *c, const struct request *req,
                             const struct token_entry *e, const struct acl *acl)
{
	const char *target = req->rel + strlen(UI_MOUNTS);
	struct mount *m = mounts_route(c, req->ns, target);
	struct buf mount_path = BUF_INIT;
	bool ok;

	if (m == NULL)
		return true;
	ok = buf_printf(&mount_path, "%s%s", req->ns + strlen(e->ns),
	                m->path) == ERR_OK &&
	     acl_has_mount_access(acl, buf_str(&mount_path));
	buf_release(&mount_path);
	return ok;
}

err_t core_acl_check(struct core *c, struct request *req,
                     const struct token_entry *e, struct response *resp)
{
	struct acl_result res;
	struct acl *acl = NULL;
	struct buf path = BUF_INIT;
	json_t *names = NULL;
	bool disabled = false, shared = false;
	enum op op;
	err_t rc;

	if (token_is_root(e))
		return ERR_OK;
	/* A wrapping token is good for unwrapping, which needs no ACL. */
	if (core_is_wrapping_token(e))
		return response_error(resp, ERR_PERMISSION,
		                      "permission denied");
	rc = buf_printf(&path, "%s%s", req->ns + strlen(e->ns), req->path);
	if (rc == ERR_OK)
		rc = all_policies(c, e, &names, &shared, &disabled);
	if (rc == ERR_OK && disabled) {
		rc = response_error(resp, ERR_PERMISSION, "permission denied");
		goto out;
	}
	if (rc == ERR_OK && shared)
		rc = policy_store_acl_shared(c->policies, e->ns, names, &acl);
	else if (rc == ERR_OK)
		rc = policy_store_acl(c->policies, e->ns, names, &acl);
	if (rc != ERR_OK) {
		rc = response_error(resp, rc, "%s", err_str(rc));
		goto out;
	}

	if (is_ui_mounts(req)) {
		rc = ui_mounts_access(c, req, e, acl) ? ERR_OK : ERR_PERMISSION;
		if (rc != ERR_OK)
			rc = response_error(resp, rc, "permission denied");
		goto out;
	}
	op = req->mount ? effective_op(req) : req->op;
	memset(&res, 0, sizeof(res));
	rc = acl_check(acl, buf_str(&path), op, req->data, &res);
	if (rc == ERR_OK && !res.allowed)
		rc = ERR_PERMISSION;
	if (rc == ERR_OK && req->mount != NULL &&
	    needs_sudo(req->mount, req->rel) && !res.sudo)
		rc = ERR_PERMISSION;
	if (rc != ERR_OK) {
		rc = response_error(resp, ERR_PERMISSION, "permission denied");
		goto out;
	}
	if (req->op == OP_UPDATE)
		req->op = op;
	rc = check_wrapping(&res, req, resp);
out:
	json_decref(names);
	acl_release(acl);
	buf_release(&path);
	return rc;
}

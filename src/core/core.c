/*
 * core.c - the request pipeline and the seal life cycle.
 *
 * core_handle: answer the paths that work while sealed; otherwise take the
 * core lock, refuse if sealed, route to the mount by longest prefix, check
 * the token, and hand the request to the mount.
 */
#define _GNU_SOURCE /* writer-preferring rwlock */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "audit/audit.h"
#include "base/encoding.h"
#include "base/log.h"
#include "base/secret.h"
#include "core/cidr.h"
#include "core/core_internal.h"
#include "core/ha.h"
#include "core/lease.h"
#include "core/lease_core.h"
#include "engines/cubbyhole/cubbyhole.h"
#include "identity/identity.h"

err_t core_new(struct storage *phys, const struct core_options *opts,
               struct core **out)
{
	struct core *c = calloc(1, sizeof(*c));
	pthread_rwlockattr_t attr;
	long nsec;
	err_t rc;

	if (c == NULL)
		return ERR_NOMEM;
	c->phys = phys;
	c->opts = *opts;
	c->opts.api_addr = NULL;
	if (opts->api_addr != NULL &&
	    (c->api_addr = strdup(opts->api_addr)) == NULL) {
		free(c);
		return ERR_NOMEM;
	}
	time_now(&c->start_time, &nsec);

	/* Seal and mount changes must not starve behind a stream of reads. */
	pthread_rwlockattr_init(&attr);
	pthread_rwlockattr_setkind_np(
	    &attr, PTHREAD_RWLOCK_PREFER_WRITER_NONRECURSIVE_NP);
	pthread_rwlock_init(&c->lock, &attr);
	pthread_rwlockattr_destroy(&attr);

	rc = barrier_new(phys, &c->barrier);
	if (rc == ERR_OK)
		rc = seal_new(phys, c->barrier, &c->seal);
	if (rc == ERR_OK)
		rc = uuid_new(c->cluster_id);
	if (rc != ERR_OK) {
		core_free(c);
		return rc;
	}
	c->enc = barrier_storage(c->barrier);
	rc = ha_new(c, &c->ha);
	if (rc != ERR_OK) {
		core_free(c);
		return rc;
	}
	*out = c;
	return ERR_OK;
}

void core_free(struct core *c)
{
	if (c == NULL)
		return;
	/* The HA loop goes first: it takes the core lock itself. */
	ha_free(c->ha);
	c->ha = NULL;
	if (c->unsealed || c->standby)
		core_seal_locked(c);
	audit_broker_free(c->audit);
	seal_free(c->seal);
	barrier_free(c->barrier);
	storage_free(c->phys);
	pthread_rwlock_destroy(&c->lock);
	free(c->api_addr);
	free(c);
}

err_t core_load_state(struct core *c)
{
	err_t rc;

	rc = token_store_new(c->enc, &c->tokens);
	if (rc == ERR_OK)
		rc = namespaces_load(c);
	if (rc == ERR_OK)
		rc = policy_store_new(c->enc, &c->policies);
	if (rc == ERR_OK)
		rc = mounts_load(c);
	if (rc == ERR_OK) {
		struct mount *cubby = mounts_find(c, "", "cubbyhole/");
		if (cubby != NULL)
			token_set_revoke_hook(c->tokens,
			                      cubbyhole_token_revoked, cubby);
	}
	/* Leases last: expiry needs the token store and the mounts. */
	if (rc == ERR_OK)
		rc = lease_core_start(c);
	/*
	 * Audit (issue 6): devices load with the mounts, behind the barrier.
	 * The broker itself stays across seals (core_audit_configure).
	 */
	if (rc == ERR_OK && c->audit == NULL)
		rc = audit_broker_new(NULL, &c->audit);
	if (rc == ERR_OK)
		rc = audit_broker_load(c->audit, c->enc);
	if (rc != ERR_OK) {
		log_error("core", "loading the server state failed: %s",
		          err_str(rc));
		core_unload_state(c);
		return rc;
	}
	c->unsealed = true;
	return ERR_OK;
}

void core_unload_state(struct core *c)
{
	/* Expiry first: it calls into the token store and the mounts. */
	lease_core_stop(c);
	/* Audit (issue 6): close the devices and wipe their salts. */
	audit_broker_unload(c->audit);
	mounts_unload(c);
	namespaces_unload(c);
	token_store_free(c->tokens);
	c->tokens = NULL;
	policy_store_free(c->policies);
	c->policies = NULL;
	c->unsealed = false;
}

err_t core_post_unseal(struct core *c)
{
	err_t rc;

	/* HA: wait as a standby until this server holds the lock. */
	if (c->ha != NULL) {
		ha_enter_standby(c);
		return ERR_OK;
	}
	rc = core_load_state(c);
	if (rc != ERR_OK) {
		log_error("core", "post-unseal setup failed: %s", err_str(rc));
		core_seal_locked(c);
		return rc;
	}
	log_info("core", "vault is unsealed");
	return ERR_OK;
}

void core_seal_locked(struct core *c)
{
	bool was_open = c->unsealed || c->standby;

	core_unload_state(c);
	c->standby = false;
	seal_seal(c->seal);
	if (was_open)
		log_info("core", "vault is sealed");
}

err_t core_initialize(struct core *c, int shares, int threshold,
                      const char *root_token_id, struct buf *keys,
                      char **root_token, struct response *resp)
{
	char errmsg[256] = "";
	bool unsealed = false;
	err_t rc;
	int i;

	rc = seal_initialize(c->seal, shares, threshold, keys, errmsg,
	                     sizeof(errmsg));
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s",
		                      errmsg[0] ? errmsg : err_str(rc));

	/* Unseal once with the new keys to write the first state. */
	for (i = 0; i < threshold && rc == ERR_OK && !unsealed; i++)
		rc = seal_submit(c->seal, keys[i].data, keys[i].len, &unsealed,
		                 errmsg, sizeof(errmsg));
	if (rc == ERR_OK && !unsealed)
		rc = ERR_INTERNAL;
	if (rc == ERR_OK)
		rc = token_store_new(c->enc, &c->tokens);
	if (rc == ERR_OK)
		rc = mounts_setup_defaults(c);
	if (rc == ERR_OK)
		rc = token_create_root(c->tokens, root_token_id, root_token);

	/* A new server starts sealed, as Vault's does. */
	core_seal_locked(c);
	if (rc != ERR_OK) {
		log_error("core", "initialization failed: %s", err_str(rc));
		return response_error(resp, rc, "initialization failed: %s",
		                      err_str(rc));
	}
	log_info("core", "vault initialized with %d shares, threshold %d",
	         shares, threshold);
	return ERR_OK;
}

/* Checks the caller's token for a request that needs one. */
static err_t core_authorize(struct core *c, struct request *req,
                            struct response *resp)
{
	struct token_entry *e = NULL;
	size_t nslen;
	err_t rc;

	if (req->token == NULL || req->token[0] == 0)
		return response_error(resp, ERR_PERMISSION,
		                      "permission denied");
	rc = token_lookup(c->tokens, req->token, &e);
	if (rc == ERR_PERMISSION) {
		response_error(resp, ERR_PERMISSION, "permission denied");
		return response_error(resp, ERR_PERMISSION, "invalid token");
	}
	if (rc != ERR_OK)
		return response_error(resp, rc, "%s", err_str(rc));
	req->auth = e;

	/*
	 * A token bound to CIDR blocks works only from them, checked on
	 * every use against the peer address (never a header).
	 */
	if (!cidr_list_allows(e->bound_cidrs, req->remote_addr))
		return response_error(resp, ERR_PERMISSION,
		                      "permission denied");

	/* A token acts only in its own namespace and the ones below it. */
	nslen = strlen(e->ns);
	if (strncmp(req->ns, e->ns, nslen) != 0)
		return response_error(resp, ERR_PERMISSION,
		                      "permission denied");

	rc = core_acl_check(c, req, e, resp);
	if (rc != ERR_OK || e->num_uses == 0)
		return rc;

	/*
	 * Only an allowed request spends a use of a limited token. The spend
	 * checks again, atomically: of racing requests only as many as the
	 * token has uses get through. See token_used_up in core_handle.
	 */
	token_entry_free(req->auth);
	req->auth = NULL;
	rc = token_use(c->tokens, req->token, &e);
	if (rc != ERR_OK)
		return response_error(resp, ERR_PERMISSION,
		                      "permission denied");
	req->auth = e;
	return ERR_OK;
}

/* Revokes the token of resp->auth and removes the auth block. */
static void core_drop_auth(struct core *c, struct response *resp)
{
	const char *acc =
	    json_string_value(json_object_get(resp->auth, "accessor"));
	struct token_entry *e = NULL;

	if (acc != NULL && token_lookup_accessor(c->tokens, acc, &e) == ERR_OK)
		token_revoke(c->tokens, e->id_hash, false);
	token_entry_free(e);
	json_decref(resp->auth);
	resp->auth = NULL;
}

static void core_dispatch(struct core *c, struct request *req,
                          struct response *resp)
{
	const struct mount_backend *be;
	struct mount *m;
	size_t mlen;

	if (!c->unsealed && c->standby) {
		ha_redirect(c, resp);
		return;
	}
	if (!c->unsealed) {
		response_error(resp, ERR_SEALED, "Vault is sealed");
		return;
	}
	if (namespaces_resolve(c, req, resp) != ERR_OK) {
		/* Audited like every refusal (issue 6). */
		core_audit_refused(c, req, resp);
		return;
	}
	m = mounts_route(c, req->ns, req->path);
	be = m ? m->backend : NULL;
	mlen = m ? strlen(m->path) : 0;
	req->mount = m;
	req->mount_path = m ? m->path : NULL;
	req->rel = strlen(req->path) >= mlen ? req->path + mlen : "";

	/*
	 * The token comes first, so that a stranger learns no mount names.
	 * A refusal is audited too (issue 6): probes with stolen or guessed
	 * tokens are what an operator reads the trail for.
	 */
	if (be == NULL || be->unauthenticated == NULL ||
	    !be->unauthenticated(req->rel, req->op))
		if (core_authorize(c, req, resp) != ERR_OK) {
			core_audit_refused(c, req, resp);
			return;
		}
	if (m == NULL) {
		response_error(resp, ERR_NOT_FOUND,
		               "no handler for route \"%s\". route entry not "
		               "found.",
		               req->path);
		core_audit_refused(c, req, resp);
		return;
	}

	snprintf(resp->mount_type, sizeof(resp->mount_type), "%s", m->type);

	/* Audit (issue 6): fail closed on the request and on the response. */
	if (core_audit_log(c, req, resp, false) != ERR_OK)
		return;
	be->handle(m, req, resp);
	/* A failure never carries a token out, whatever a method did. */
	if (resp->err != ERR_OK && resp->auth != NULL) {
		log_error("core",
		          "%s answered an error with a token; "
		          "the token is dropped",
		          m->path);
		core_drop_auth(c, resp);
	}
	if (resp->err == ERR_OK)
		core_wrap_response(c, req, resp);
	core_audit_log(c, req, resp, true);
}

void core_handle(struct core *c, struct request *req, struct response *resp)
{
	bool exclusive;

	if (sys_handle_unsealed_paths(c, req, resp))
		return;

	exclusive = sys_needs_write_lock(req);
	if (exclusive)
		pthread_rwlock_wrlock(&c->lock);
	else
		pthread_rwlock_rdlock(&c->lock);
	core_dispatch(c, req, resp);
	/* The request that spent a token's last use has finished. */
	if (req->auth != NULL && req->auth->used_up && c->tokens != NULL)
		token_used_up(c->tokens, req->auth);
	pthread_rwlock_unlock(&c->lock);

	token_entry_free(req->auth);
	req->auth = NULL;
}

err_t core_namespace_purge(struct core *c, const char *ns)
{
	struct mount *idm;
	json_t *names = NULL, *name;
	size_t i;
	err_t rc;

	/*
	 * Its leases, and with them its tokens (every token made in a
	 * namespace has a TTL, hence a lease); mounts are gone already.
	 */
	rc = lease_revoke_prefix(c->leases, ns, "", false);
	if (rc != ERR_OK)
		rc = lease_revoke_prefix(c->leases, ns, "", true);

	/* Its entities, aliases and groups. */
	idm = mounts_find(c, "", "identity/");
	if (rc == ERR_OK && idm != NULL)
		rc = identity_purge_namespace(idm, ns);

	/* Its policies. */
	if (rc == ERR_OK)
		rc = policy_store_list(c->policies, ns, &names);
	json_array_foreach(names, i, name)
	{
		const char *n = json_string_value(name);
		if (rc != ERR_OK)
			break;
		if (strcmp(n, "root") == 0 || strcmp(n, "default") == 0)
			continue;
		rc = policy_store_delete(c->policies, ns, n);
	}
	json_decref(names);
	return rc;
}

err_t core_dev_init(struct core *c, const char *root_token_id,
                    char **unseal_key, char **root_token)
{
	struct response resp;
	struct buf key = BUF_INIT;
	char errmsg[256];
	bool unsealed = false;
	json_t *params;
	err_t rc;

	*unseal_key = NULL;
	*root_token = NULL;
	response_init(&resp);
	params =
	    json_pack("{s:s, s:s, s:{s:s}}", "type", "kv", "description",
	              "key/value secret storage", "options", "version", "2");
	pthread_rwlock_wrlock(&c->lock);
	rc = params ? core_initialize(c, 1, 1, root_token_id, &key, root_token,
	                              &resp)
	            : ERR_NOMEM;
	if (rc == ERR_OK)
		rc = seal_submit(c->seal, key.data, key.len, &unsealed, errmsg,
		                 sizeof(errmsg));
	if (rc == ERR_OK)
		rc = core_post_unseal(c);
	if (rc == ERR_OK)
		rc = mounts_enable(c, "", "secret/", MOUNT_SECRET, params,
		                   &resp);
	pthread_rwlock_unlock(&c->lock);

	if (rc == ERR_OK &&
	    (*unseal_key = b64_encode(key.data, key.len)) == NULL)
		rc = ERR_NOMEM;
	if (rc != ERR_OK && *root_token != NULL) {
		secret_free(*root_token);
		*root_token = NULL;
	}
	json_decref(params);
	buf_release(&key);
	response_release(&resp);
	return rc;
}

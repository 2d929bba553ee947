/*
 * lease_core.c - the callbacks of the core's lease manager.
 *
 * The expiry thread enters with a timed read lock on the core, so that a
 * seal (which holds the write lock, then stops the thread) never waits on
 * it: a refused enter sends the thread back to check whether it must stop.
 * Requests already hold the read lock and call the manager directly.
 */
#include <string.h>
#include <time.h>

#include "base/log.h"
#include "core/core_internal.h"
#include "core/lease.h"
#include "core/lease_core.h"

static bool core_enter(void *ctx)
{
	struct core *c = ctx;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_nsec += 100 * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	if (pthread_rwlock_timedrdlock(&c->lock, &ts) != 0)
		return false;
	if (!c->unsealed || c->tokens == NULL) {
		pthread_rwlock_unlock(&c->lock);
		return false;
	}
	return true;
}

static void core_leave(void *ctx)
{
	struct core *c = ctx;

	pthread_rwlock_unlock(&c->lock);
}

static err_t core_revoke_token(void *ctx, const char *hash)
{
	struct core *c = ctx;

	return token_revoke(c->tokens, hash, false);
}

static err_t core_renew_token(void *ctx, const char *hash, int64_t increment,
                              int64_t *ttl)
{
	struct core *c = ctx;

	return token_renew(c->tokens, hash, increment, ttl, NULL);
}

static err_t core_revoke_secret(void *ctx, const struct lease_info *li)
{
	struct core *c = ctx;
	struct mount *m = mounts_find(c, li->ns, li->mount_path);
	struct response resp;
	err_t rc;

	/* A lease outlives its mount only if disabling it failed half-way. */
	if (m == NULL || m->backend->revoke == NULL)
		return ERR_OK;
	response_init(&resp);
	rc = m->backend->revoke(m, li->secret, &resp);
	response_release(&resp);
	return rc;
}

static err_t core_renew_secret(void *ctx, const struct lease_info *li,
                               int64_t increment, int64_t *ttl)
{
	struct core *c = ctx;
	struct mount *m = mounts_find(c, li->ns, li->mount_path);
	struct response resp;
	err_t rc;

	if (m == NULL || m->backend->renew == NULL)
		return ERR_INVALID;
	response_init(&resp);
	rc = m->backend->renew(m, li->secret, increment, &resp);
	if (rc == ERR_OK && resp.lease_duration > 0 &&
	    resp.lease_duration < *ttl)
		*ttl = resp.lease_duration;
	response_release(&resp);
	return rc;
}

err_t lease_core_start(struct core *c)
{
	struct lease_callbacks cb = {
	    .ctx = c,
	    .enter = core_enter,
	    .leave = core_leave,
	    .revoke_token = core_revoke_token,
	    .renew_token = core_renew_token,
	    .revoke_secret = core_revoke_secret,
	    .renew_secret = core_renew_secret,
	};
	err_t rc;

	rc = lease_mgr_new(c->enc, &cb, &c->leases);
	if (rc != ERR_OK)
		return rc;
	token_store_set_leases(c->tokens, c->leases);
	rc = lease_mgr_start(c->leases);
	if (rc != ERR_OK)
		lease_core_stop(c);
	return rc;
}

void lease_core_stop(struct core *c)
{
	lease_mgr_stop(c->leases);
	if (c->tokens != NULL)
		token_store_set_leases(c->tokens, NULL);
	lease_mgr_free(c->leases);
	c->leases = NULL;
}

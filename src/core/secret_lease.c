/*
 * secret_lease.c - leases for the secrets engines hand out (see
 * secret_lease.h), written in one commit with the engine's own cleanup.
 */
#include <stdlib.h>
#include <string.h>

#include "base/buf.h"
#include "base/encoding.h"
#include "core/core_internal.h"
#include "core/lease.h"
#include "core/secret_lease.h"

#define SECRET_LEASE_RAND_LEN 24

/* The hard cap of a lease on m from now: the engine's, mount's, system's. */
static int64_t max_of(const struct mount *m, int64_t max_ttl)
{
	int64_t sys = m->max_lease_ttl > 0 ? m->max_lease_ttl
	                                   : m->core->opts.max_lease_ttl;

	if (max_ttl > 0 && (sys <= 0 || max_ttl < sys))
		return max_ttl;
	return sys;
}

int64_t secret_lease_ttl(const struct mount *m, int64_t ttl, int64_t max_ttl)
{
	int64_t max = max_of(m, max_ttl);

	if (ttl <= 0)
		ttl = m->default_lease_ttl > 0
		          ? m->default_lease_ttl
		          : m->core->opts.default_lease_ttl;
	if (max > 0 && ttl > max)
		ttl = max;
	return ttl;
}

/* The storage key of a mount view's key, as mounts.c roots the view. */
static err_t view_key(const struct mount *m, const char *key, struct buf *out)
{
	return buf_printf(out, "%s%s/%s",
	                  m->backend->kind == MOUNT_AUTH ? "auth/" : "logical/",
	                  m->uuid, key);
}

/* The record of the lease id; it borrows every string it points to. */
static void fill_info(const struct mount *m, const struct request *req,
                      const struct secret_lease *sl, const char *id,
                      struct lease_info *li)
{
	int64_t now = lease_now(), max = max_of(m, sl->max_ttl);

	memset(li, 0, sizeof(*li));
	li->id = (char *)id;
	li->ns = m->ns;
	li->mount_path = m->path;
	li->path = (char *)req->rel;
	li->token_hash = req->auth != NULL ? (char *)req->auth->id_hash : "";
	li->kind = LEASE_SECRET;
	li->issue_time = now;
	li->ttl = secret_lease_ttl(m, sl->ttl, sl->max_ttl);
	li->expire_time = now + li->ttl;
	if (max > 0)
		li->max_expire_time = now + max;
	li->renewable = sl->renewable && m->backend->renew != NULL;
	li->secret = sl->secret;
}

err_t secret_lease_register(struct mount *m, const struct request *req,
                            const struct secret_lease *sl,
                            struct response *resp)
{
	struct core *c = m->core;
	struct lease_info li;
	struct lease_txn t;
	struct buf id = BUF_INIT, done = BUF_INIT;
	char rnd[SECRET_LEASE_RAND_LEN + 1];
	err_t rc;

	if (c->leases == NULL)
		return ERR_UNAVAILABLE;
	lease_txn_init(&t);
	rc = rand_alnum(rnd, SECRET_LEASE_RAND_LEN);
	if (rc == ERR_OK)
		rc = buf_printf(&id, "%s%s%s%s", m->path, req->rel,
		                req->rel[0] ? "/" : "", rnd);
	if (rc != ERR_OK)
		goto out;

	fill_info(m, req, sl, buf_str(&id), &li);

	/* The lease and the end of the engine's write-ahead record, at once. */
	rc = lease_txn_put_lease(c->leases, &t, &li);
	if (rc == ERR_OK && sl->done_key != NULL) {
		rc = view_key(m, sl->done_key, &done);
		if (rc == ERR_OK)
			rc = lease_txn_delete(&t, buf_str(&done));
	}
	if (rc == ERR_OK)
		rc = lease_txn_commit(c->leases, c->enc, &t);
	if (rc != ERR_OK)
		goto out;

	free(resp->lease_id);
	resp->lease_id = buf_detach(&id);
	if (resp->lease_id == NULL) {
		/* Stored and indexed already: expiry will clean it up. */
		rc = ERR_NOMEM;
		goto out;
	}
	resp->lease_duration = li.ttl;
	resp->renewable = li.renewable;
out:
	lease_txn_release(&t);
	buf_release(&id);
	buf_release(&done);
	return rc;
}

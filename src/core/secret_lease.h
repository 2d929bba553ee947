/*
 * secret_lease.h - how a secrets engine hands out a leased secret.
 *
 * The lease manager (core/lease.h) owns every lease; an engine that made
 * something outside (a database user) asks the core here to track it.
 * The core picks the TTL within the mount's and the system's limits,
 * persists the lease, and fills the response's lease fields. Later the
 * manager calls the mount's backend->revoke and ->renew with the secret
 * blob given here.
 *
 * Why a call and not a field of the response: the blob the engine needs
 * back (which user, which statements) must never reach the client, and
 * struct response has no private slot for it; and an engine that keeps a
 * write-ahead record of what it made outside needs that record removed in
 * the very commit that writes the lease (done_key), so that after a crash
 * exactly one of the two exists.
 */
#ifndef COFFER_CORE_SECRET_LEASE_H
#define COFFER_CORE_SECRET_LEASE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "core/mount.h"
#include "core/request.h"

struct secret_lease {
	json_t *secret;       /* what revoke/renew get back; borrowed, never
	                         shown to the client */
	int64_t ttl;          /* wanted; 0 = the mount's or system default */
	int64_t max_ttl;      /* the engine's cap; 0 = the mount's or system
	                         max */
	bool renewable;       /* honoured only if the backend has renew */
	const char *done_key; /* a key of m->view deleted in the same commit,
	                         or NULL */
};

/*
 * Registers a lease for the secret m's backend just made while serving
 * req, owned by the caller's token (so that revoking the token revokes
 * the secret). The TTL is sl->ttl (or the default), never more than the
 * smallest of sl->max_ttl and the mount's or system max. On success sets
 * resp->lease_id, lease_duration and renewable. On failure resp is left
 * alone and the caller must undo the secret; nothing was written, except
 * when memory ran out after the commit, where the stored lease revokes
 * the secret again at its end (revocation must be idempotent). Errors:
 * ERR_UNAVAILABLE without a running lease manager, a storage error,
 * ERR_NOMEM.
 */
err_t secret_lease_register(struct mount *m, const struct request *req,
                            const struct secret_lease *sl,
                            struct response *resp);

/*
 * The TTL secret_lease_register would grant for ttl and max_ttl on m
 * (same rules), so that an engine can write it into the secret (a
 * database user's VALID UNTIL) before registering.
 */
int64_t secret_lease_ttl(const struct mount *m, int64_t ttl, int64_t max_ttl);

#endif

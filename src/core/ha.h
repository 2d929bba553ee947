/*
 * ha.h - high availability: one active server, the others standing by.
 *
 * Servers that share a PostgreSQL database with ha_enabled compete for
 * the lock row of storage/postgres.h. Each is unsealed by its operator;
 * an unsealed server that does not hold the lock is a standby: its barrier
 * holds the keys, but nothing else is loaded. It relays API requests to
 * the active server (request forwarding, the default as in Vault: the
 * HTTP layer does the relaying, see http/forward.h) or, with
 * disable_clustering or when the client sends
 * X-Vault-No-Request-Forwarding, answers them with a 307 to the active
 * server's api_addr. A loop thread per server:
 *
 *   standby: tries to take the lock every second; when it gets it, reloads
 *            the keyring (the active may have rotated it) and loads the
 *            whole state (mounts, policies, tokens, leases) from storage,
 *            then serves.
 *   active:  renews the lock every third of its TTL. When a renewal says
 *            the lock is gone, when a write was refused by the fence, when
 *            renewals fail for a whole TTL (the database is away), on
 *            sys/step-down or when sealed, it unloads everything and
 *            becomes a standby again (or stays sealed).
 *
 * Only the active server has anything loaded, and it loads everything
 * when it becomes active, so no cache can hold what another server wrote
 * while it was active: the caches (mount table, policies, tokens, leases)
 * are invalidated by being rebuilt at every takeover.
 *
 * A server with other storage has no HA state (core->ha is NULL) and
 * behaves as before.
 */
#ifndef COFFER_CORE_HA_H
#define COFFER_CORE_HA_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "core/ha_forward.h"
#include "core/request.h"

struct core;
struct ha_state;

/*
 * Starts the HA loop of c when its physical storage offers HA; *out stays
 * NULL otherwise. Called by core_new once the barrier and seal exist.
 * ERR_NOMEM or ERR_INTERNAL when the thread cannot start.
 */
err_t ha_new(struct core *c, struct ha_state **out);

/*
 * Stops the loop, giving the lock up when held. Takes the core lock, so
 * the caller must not hold it. h may be NULL.
 */
void ha_free(struct ha_state *h);

/*
 * The barrier of c was just unsealed: the server becomes a standby, every
 * write of its storage now requires the lock, and the loop may take it.
 * The core's write lock is held.
 */
void ha_enter_standby(struct core *c);

/*
 * Answers a request that reached a standby: a 307 whose data holds the
 * active server's address for the HTTP layer's Location, or 503 when no
 * active server is known. The core lock is held.
 */
void ha_redirect(struct core *c, struct response *resp);

/* How a standby may answer a request that the active server must serve. */
enum ha_route {
	HA_ROUTE_FORWARD,  /* relay it to the active server */
	HA_ROUTE_REDIRECT, /* 307 to the active (disable_clustering) */
	HA_ROUTE_NO_HOP,   /* it was forwarded to us already: never again */
};

/* Where a request came from, as ha_accept_forwarded found out. */
enum ha_origin {
	HA_ORIGIN_CLIENT,    /* straight from a client */
	HA_ORIGIN_FORWARDED, /* relayed by another server of the cluster */
	HA_ORIGIN_ANSWERED,  /* relayed, and already answered in resp */
};

/*
 * Runs before core_handle on every request. When req carries a forwarding
 * header (core/ha_forward.h) that verifies, req->remote_addr is pointed at
 * addr, which receives the original client's address: the caller keeps
 * addr alive while req is served and restores remote_addr afterwards. A
 * header that does not verify is ignored (logged) and the connection's
 * address stays. Either way the header is removed from req->headers.
 * With clustering_disabled, a forwarded request is answered here with a
 * 307 to this server, so that the client comes itself, as Vault does
 * when the active node takes no forwarded requests. Servers without HA
 * ignore the header.
 */
enum ha_origin ha_accept_forwarded(struct core *c, struct request *req,
                                   bool clustering_disabled,
                                   char addr[HA_FORWARD_ADDR_LEN],
                                   struct response *resp);

/*
 * Runs after core_handle and rewrites a standby's answer (ha_redirect)
 * for the HTTP layer: with HA_ROUTE_FORWARD (and no
 * X-Vault-No-Request-Forwarding from the client) the 307's data gains
 * "forward_address" (the active's resolved "ip:port") and
 * "forward_header" (the signed X-Coffer-Forwarded-For line), which asks
 * the HTTP layer to relay the request (http/server.h); HA_ROUTE_REDIRECT
 * leaves the 307; HA_ROUTE_NO_HOP turns it into a 503. sys/seal on a
 * standby is refused with a 500, as in Vault: a standby has no token
 * store to check the caller against, and must not pass the order on to
 * seal the active server. Answers of an active server pass unchanged.
 */
void ha_standby_answer(struct core *c, const struct request *req,
                       enum ha_route route, struct response *resp);

/*
 * What sys/leader and sys/health report: whether HA is on, whether this
 * server is the active one, the active's address (a heap string, or NULL
 * when unknown; the caller frees it) and when this server became active
 * (unix seconds, 0 when it is not).
 */
void ha_status(struct core *c, bool *enabled, bool *is_self, char **leader,
               int64_t *active_since);

/*
 * Asks the active server to give up the lock (sys/step-down). It unloads
 * and stays a standby for a while so another server takes over. ERR_OK
 * also when HA is off (nothing to do, as in Vault).
 */
err_t ha_step_down(struct core *c);

#endif

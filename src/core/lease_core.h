/*
 * lease_core.h - the lease manager wired to the core: its callbacks reach
 * the token store and the mounts' backends, and its expiry thread holds
 * the core's read lock while it revokes.
 */
#ifndef COFFER_CORE_LEASE_CORE_H
#define COFFER_CORE_LEASE_CORE_H

#include "base/error.h"

struct core;

/*
 * Creates c->leases after the token store and the mounts are loaded,
 * connects it to c->tokens, restores the leases and starts expiry. The
 * write lock is held. On failure c->leases is NULL.
 */
err_t lease_core_start(struct core *c);

/*
 * Stops expiry and frees c->leases; the write lock is held. Safe when
 * nothing was started. Call it before the token store is freed.
 */
void lease_core_stop(struct core *c);

#endif

/*
 * postgres.h - the PostgreSQL backend and its high-availability lock.
 *
 * The backend itself is opened through storage_open("postgresql", ...);
 * see postgres.c for its configuration, schema and failure rules.
 *
 * With ha_enabled = "true" several servers share one database and compete
 * for one lock row in ha_table. The row names its holder (a random
 * identity made when the backend opens) and the holder's api_addr, and is
 * valid until a time the holder keeps pushing forward. Once a server takes
 * part (postgres_ha_fence), every write transaction it runs first checks,
 * inside the same transaction and with the row locked against change, that
 * it still holds the lock: a server whose lock expired or was taken can
 * never commit another write.
 */
#ifndef COFFER_STORAGE_POSTGRES_H
#define COFFER_STORAGE_POSTGRES_H

#include <stdbool.h>

#include "base/buf.h"
#include "base/error.h"
#include "storage/storage.h"

/*
 * Opens the backend described by config (see postgres.c): connects once to
 * check the server and its durability settings and to create the tables
 * on first start. ERR_INVALID for a bad configuration, ERR_UNAVAILABLE
 * when the database cannot be reached, ERR_STORAGE when it refuses the
 * schema; errmsg says which. Registered in storage.c.
 */
err_t postgres_open(json_t *config, struct storage **out, char *errmsg,
                    size_t errlen);

/* True when s is a PostgreSQL backend opened with ha_enabled = "true". */
bool postgres_ha_enabled(struct storage *s);

/* How long a taken or renewed lock stays valid, in milliseconds. */
int postgres_ha_ttl_ms(struct storage *s);

/*
 * Takes the lock if it is free or expired, or renews it if this backend
 * holds it; value (the server's api_addr, may be "") is stored with it.
 * *held tells the outcome. Runs on a connection of its own, so a pool full
 * of slow requests cannot delay a renewal. ERR_UNAVAILABLE when the
 * database cannot be reached (*held is then false).
 */
err_t postgres_ha_acquire(struct storage *s, const char *value, bool *held);

/* Gives the lock up if this backend holds it. */
err_t postgres_ha_release(struct storage *s);

/*
 * Reads the current, unexpired holder: *found, whether it is this backend
 * (*is_self), and its stored value appended to value.
 */
err_t postgres_ha_leader(struct storage *s, struct buf *value, bool *found,
                         bool *is_self);

/*
 * From now on every write of s requires the lock (see above). There is no
 * way back: a server that once took part never writes unchecked again.
 */
void postgres_ha_fence(struct storage *s);

/*
 * True when a write was refused because the lock was not held since the
 * last call; clears the flag. Lets the HA loop step down at once instead
 * of at its next renewal.
 */
bool postgres_ha_fence_tripped(struct storage *s);

#endif

/*
 * cubbyhole.h - the per-token private space, and what the core's response
 * wrapping and token revocation need of it.
 */
#ifndef COFFER_ENGINES_CUBBYHOLE_H
#define COFFER_ENGINES_CUBBYHOLE_H

#include <stdbool.h>

#include "base/buf.h"
#include "core/mount.h"

extern const struct mount_backend cubbyhole_backend;

/* Stores text at path in the space of the token with id_hash. */
err_t cubbyhole_put(struct mount *m, const char *id_hash, const char *path,
                    const char *text);

/* Reads path of the token with id_hash into out (appending). */
err_t cubbyhole_get(struct mount *m, const char *id_hash, const char *path,
                    struct buf *out, bool *found);

/*
 * The token store's revoke hook: deletes the space of a revoked token.
 * ctx is the cubbyhole mount.
 */
void cubbyhole_token_revoked(void *ctx, const char *id_hash);

#endif

/*
 * core.h - the core: seal state, mounts, tokens, and the request pipeline.
 *
 * One struct core serves every listener thread. core_handle is the only way
 * in for API requests; it looks up the token, checks the policy, routes to
 * the mount and fills the response.
 */
#ifndef COFFER_CORE_CORE_H
#define COFFER_CORE_CORE_H

#include <stdbool.h>
#include <stdint.h>

#include "base/error.h"
#include "core/request.h"
#include "storage/storage.h"

struct core;

struct core_options {
	int64_t default_lease_ttl; /* seconds */
	int64_t max_lease_ttl;     /* seconds */
	const char *api_addr;      /* for sys/leader; may be NULL */
};

/*
 * Creates a sealed core over phys, which the core then owns. Returns
 * ERR_NOMEM or a storage error.
 */
err_t core_new(struct storage *phys, const struct core_options *opts,
               struct core **out);

/* Seals (wiping keys) and frees; c may be NULL. */
void core_free(struct core *c);

/*
 * Serves one request. Always fills resp; on failure resp->err holds the
 * code and resp->errors the messages. Safe to call from several threads.
 */
void core_handle(struct core *c, struct request *req, struct response *resp);

/*
 * Dev mode: initialises with one key share, unseals, and mounts KV version
 * 2 at secret/. root_token_id is the root token's value, or NULL for a
 * random one. On success *unseal_key (base64) and *root_token are heap
 * strings the caller wipes with secret_free.
 */
err_t core_dev_init(struct core *c, const char *root_token_id,
                    char **unseal_key, char **root_token);

#endif

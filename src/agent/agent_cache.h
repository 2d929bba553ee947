/*
 * agent_cache.h - the proxy's cache of leased answers.
 *
 * What is cached, exactly: an answer with status 200 whose JSON body has
 *
 *   - a non-empty "lease_id" and a "lease_duration" above zero (dynamic
 *     credentials, such as a database role's), or
 *   - an "auth" block with a non-empty "client_token" and a
 *     "lease_duration" above zero (a login, a token create).
 *
 * Nothing else is: no error, no 204, no answer without a lease (a KV read,
 * whose lease_id is empty, is always fetched from the server), no wrapped
 * answer. The key is a SHA-256 over the token the request is sent with
 * (after the agent's token was added), the method, the namespace, the
 * path and the parameters (query or body), so only the same request made
 * with the same token gets the same answer. An entry is served for two
 * thirds of its lease duration; after that the next such request goes to
 * the server and gets a new lease (the old one runs out on its own; the
 * cache does not renew leases). A lease revoked through the proxy
 * (sys/leases/revoke, sys/revoke, sys/leases/revoke-prefix) leaves the
 * cache at once.
 *
 * When two identical requests arrive together, the second waits for the
 * first one's answer instead of asking the server for a second lease.
 *
 * Entries hold secrets: their bodies are wiped when they go. At most
 * AGENT_CACHE_MAX entries are held; past that, answers are not cached.
 * Thread-safe.
 */
#ifndef COFFER_AGENT_AGENT_CACHE_H
#define COFFER_AGENT_AGENT_CACHE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "base/buf.h"
#include "base/error.h"

#define AGENT_CACHE_MAX    10000
#define AGENT_CACHE_KEYLEN 32

struct agent_cache;

/* The parts of a request that make its key; any may be NULL. */
struct agent_cache_req {
	const char *token;
	const char *method;
	const char *ns;
	const char *path;
	const char *params; /* query string or body */
	size_t params_len;
};

err_t agent_cache_new(struct agent_cache **out);

/* Wipes and frees every entry and c; NULL is fine. */
void agent_cache_free(struct agent_cache *c);

/* The key of r. */
void agent_cache_key(const struct agent_cache_req *r,
                     unsigned char key[AGENT_CACHE_KEYLEN]);

/*
 * How many seconds an answer may be cached by the rules above, 0 when
 * it may not be. *lease_id gets the lease's id (NULL for an auth answer),
 * pointing into body.
 */
int64_t agent_cache_lifetime(long status, json_t *body, const char **lease_id);

/*
 * Looks key up at now_ms. On a hit appends the cached body to body and
 * returns true. On a miss returns false; the caller then fetches the
 * answer and must call agent_cache_put (or agent_cache_abandon), since
 * identical requests wait for it.
 */
bool agent_cache_get(struct agent_cache *c,
                     const unsigned char key[AGENT_CACHE_KEYLEN],
                     int64_t now_ms, struct buf *body);

/*
 * Ends the fetch of key: stores the answer when agent_cache_lifetime
 * allows (json is body parsed), and wakes the requests waiting for it.
 */
void agent_cache_put(struct agent_cache *c,
                     const unsigned char key[AGENT_CACHE_KEYLEN], long status,
                     json_t *json, const struct buf *body, int64_t now_ms);

/* Ends the fetch of key without an answer. */
void agent_cache_abandon(struct agent_cache *c,
                         const unsigned char key[AGENT_CACHE_KEYLEN]);

/*
 * Drops the entries of lease id (prefix: of every lease whose id starts
 * with it). Returns how many went.
 */
size_t agent_cache_evict(struct agent_cache *c, const char *id, bool prefix);

/* How many entries hold an answer (for tests). */
size_t agent_cache_count(struct agent_cache *c);

#endif

/*
 * jwt_backend.h - the "jwt" auth method (also mounted as type "oidc"):
 * its mount state and the pieces its files share.
 *
 * Storage of a mount (behind the barrier, in the mount's view):
 *   config           the method's configuration (JSON)
 *   role/<name>      one role (JSON)
 *
 * Only the JWT login flow exists. The OIDC browser flow (oidc/auth_url,
 * oidc/callback) answers 400: it needs a redirect through a user's
 * browser and a client secret exchange that no machine identity uses.
 */
#ifndef COFFER_AUTH_JWT_JWT_BACKEND_H
#define COFFER_AUTH_JWT_JWT_BACKEND_H

#include <jansson.h>
#include <pthread.h>
#include <stdint.h>

#include "auth/jwt/jwt.h"
#include "core/mount.h"

/* A cached key set is fetched again after this long. */
#define JWT_JWKS_MAX_AGE 3600
/* An unknown kid triggers at most one refresh this often (seconds). */
#define JWT_JWKS_MIN_REFRESH 10

struct jwt_state {
	pthread_mutex_t mu; /* guards everything below */
	struct jwks keys;   /* from jwks_url or the discovered jwks_uri */
	int64_t fetched_at; /* 0: nothing cached */
	int64_t last_kid_refresh;
	char *issuer;   /* from discovery */
	char *jwks_uri; /* from discovery, or jwks_url */
};

extern const struct mount_backend jwt_backend;
extern const struct mount_backend oidc_backend;

/* Loads the JSON object at key of m's view; *out NULL when absent. */
err_t jwt_load(struct mount *m, const char *key, json_t **out);

/* Stores obj at key of m's view. */
err_t jwt_store(struct mount *m, const char *key, json_t *obj);

/* role/<name> handlers (jwt_role.c). */
err_t jwt_role_handle(struct mount *m, struct request *req,
                      struct response *resp, const char *name);

/* Checks a role name: 1..128 bytes, no "/", not "." or "..". */
bool jwt_role_name_ok(const char *name);

/* login (jwt_login.c). */
err_t jwt_login(struct mount *m, struct request *req, struct response *resp);

/*
 * Fills the key cache from the configured source for cfg (discovery or
 * jwks_url) now, replacing what was cached (jwt_keys.c). Used when the
 * configuration is written, so a bad URL is refused at once.
 */
err_t jwt_keys_prime(struct jwt_state *st, json_t *cfg, char *err,
                     size_t errlen);

/* Drops every cached key and discovered value. */
void jwt_keys_reset(struct jwt_state *st);

/*
 * Verifies t's signature with a key of cfg's source: the PEM keys, or the
 * key set (by kid, refreshing it once, at a bounded rate, when the kid is
 * unknown). ERR_INVALID with a reason in err.
 */
err_t jwt_keys_verify(struct jwt_state *st, json_t *cfg, const struct jwt *t,
                      char *err, size_t errlen);

/*
 * The issuer discovery reported, copied into out (empty when the source
 * is not discovery). ERR_UNAVAILABLE when discovery cannot be fetched.
 */
err_t jwt_keys_issuer(struct jwt_state *st, json_t *cfg, struct buf *out,
                      char *err, size_t errlen);

#endif
